"""UI strings of the Oasis-SD app in English and Chinese.

Lever and strategy names come from the lever registry (``sim/levers.toml``) and indicator names
from :mod:`sim.indicators`; everything else the app shows is here, so a label exists once per
language. ``t(key, lang, **fmt)`` looks a string up; a missing key raises (tests check that every
key has both languages).
"""
from __future__ import annotations

LANGS = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Oasis-SD — Tianshan North Slope simulator", "zh": "Oasis-SD —— 天山北坡经济带模拟器"},
    "app_subtitle": {
        "en": "A system-dynamics model of land, water, economy and emissions of the Tianshan North Slope "
              "economic belt, 1990–2060. Move the levers; results update at once.",
        "zh": "天山北坡经济带土地、水资源、经济与排放的系统动力学模型（1990—2060年）。调整政策杠杆，结果即时更新。"},
    "language": {"en": "Language / 语言", "zh": "语言 / Language"},
    "region": {"en": "Region", "zh": "区域"},
    "preset": {"en": "Preset scenario", "zh": "预设情景"},
    "preset_custom": {"en": "(custom)", "zh": "（自定义）"},
    "preset_help": {"en": "Load a preset: all levers are set to its values.",
                    "zh": "载入预设情景：所有杠杆设为该情景的取值。"},
    "reset": {"en": "Reset to baseline", "zh": "恢复基准情景"},
    "levers": {"en": "Policy levers", "zh": "政策杠杆"},
    "bands": {"en": "Show uncertainty bands (5–95 %)", "zh": "显示不确定性区间（5%—95%）"},
    "bands_help": {"en": "Runs the parameter ensemble with the current levers (slower).",
                   "zh": "用当前杠杆运行参数集合（较慢）。"},
    "switch_on": {"en": "on", "zh": "开"},
    "range": {"en": "range", "zh": "范围"},
    "default": {"en": "baseline", "zh": "基准值"},
    "tab_dashboard": {"en": "Dashboard", "zh": "总览"},
    "tab_compare": {"en": "Compare", "zh": "情景比较"},
    "tab_files": {"en": "Share & files", "zh": "分享与文件"},
    "tab_trust": {"en": "Trust", "zh": "可信度"},
    "headline": {"en": "Headline indicators", "zh": "核心指标"},
    "vs_baseline": {"en": "vs baseline", "zh": "较基准"},
    "scenario": {"en": "Current scenario", "zh": "当前情景"},
    "baseline": {"en": "Baseline (S0)", "zh": "基准情景（S0）"},
    "observed": {"en": "Observed", "zh": "观测值"},
    "band_label": {"en": "5–95 % parameter uncertainty", "zh": "5%—95% 参数不确定性"},
    "year": {"en": "Year", "zh": "年份"},
    "value": {"en": "Value", "zh": "数值"},
    "series": {"en": "Series", "zh": "序列"},
    "sector": {"en": "Sector", "zh": "部门"},
    "sector_land": {"en": "Land", "zh": "土地"},
    "sector_water": {"en": "Water", "zh": "水资源"},
    "sector_economy": {"en": "Economy", "zh": "经济"},
    "sector_emissions": {"en": "Emissions & energy", "zh": "排放与能源"},
    "red_lines": {"en": "Red lines", "zh": "红线"},
    "red_line": {"en": "Red line", "zh": "红线"},
    "breached_from": {"en": "breached from {year}", "zh": "自{year}年起突破"},
    "not_breached": {"en": "kept", "zh": "未突破"},
    "not_applicable": {"en": "not set", "zh": "未设定"},
    "recovered_from": {"en": ", kept again from {year}", "zh": "，{year}年起恢复"},
    "margin_year": {"en": "Margin {year}", "zh": "{year}年余量"},
    "red_lines_breached": {"en": "{n} red line(s) breached in the current scenario (from year):",
                           "zh": "当前情景下有 {n} 条红线被突破（起始年份）："},
    "red_lines_ok": {"en": "No red line breached in the current scenario.", "zh": "当前情景下未突破任何红线。"},
    "ref_farmland_floor": {"en": "Farmland floor", "zh": "耕地红线"},
    "ref_water_cap": {"en": "Water-use cap", "zh": "用水总量控制线"},
    "ref_overdraft_zero": {"en": "No overdraft (0)", "zh": "零超采"},
    "ref_ebinur_min": {"en": "Ebinur minimum inflow", "zh": "艾比湖最低入湖水量"},
    "ref_renewable_target": {"en": "Renewable target", "zh": "可再生能源目标"},
    "ref_carbon_peak": {"en": "Carbon peak (2030 level)", "zh": "碳达峰（2030年水平）"},
    "ebinur_red_line": {"en": "Ebinur Lake minimum inflow", "zh": "艾比湖最低入湖水量"},
    "levers_changed": {"en": "Levers changed from baseline: {n}", "zh": "相对基准调整的杠杆：{n} 项"},
    "no_obs_note": {"en": "Observed data are shown where the statistics geography matches the selected region.",
                    "zh": "仅在统计口径与所选区域一致时显示观测数据。"},
    # compare
    "save_name": {"en": "Name for the current scenario", "zh": "当前情景名称"},
    "save": {"en": "Save scenario", "zh": "保存情景"},
    "saved_ok": {"en": "Saved '{name}'.", "zh": "已保存“{name}”。"},
    "saved_list": {"en": "Saved scenarios to compare", "zh": "选择要比较的已存情景"},
    "no_saved": {"en": "No saved scenarios yet: save the current one above.",
                 "zh": "尚无已保存情景：请先保存当前情景。"},
    "load_saved": {"en": "Load into levers", "zh": "载入到杠杆"},
    "load_which": {"en": "Saved scenario", "zh": "已存情景"},
    "delete_saved": {"en": "Delete", "zh": "删除"},
    "deleted_ok": {"en": "Deleted '{name}'.", "zh": "已删除“{name}”。"},
    "loaded_ok": {"en": "Loaded '{name}'.", "zh": "已载入“{name}”。"},
    "compare_indicator": {"en": "Indicator to compare", "zh": "比较指标"},
    "units": {"en": "Units", "zh": "单位"},
    "indicator": {"en": "Indicator", "zh": "指标"},
    "compare_table": {"en": "Key indicators by scenario", "zh": "各情景核心指标"},
    "store_location": {"en": "Scenario library: {where}", "zh": "情景库：{where}"},
    "store_error": {"en": "Scenario library error: {msg}", "zh": "情景库错误：{msg}"},
    "old_model_saved": {"en": "'{name}' was saved with model version {old}; the current model is {new}. "
                              "Its levers are applied; results may differ from when it was saved.",
                        "zh": "“{name}”保存于模型版本 {old}；当前模型为 {new}。已应用其杠杆设置，结果可能与保存时不同。"},
    # share & files
    "share_link": {"en": "Link to this scenario", "zh": "本情景链接"},
    "share_help": {"en": "The address bar always holds the current scenario; copy this link to share it.",
                   "zh": "浏览器地址栏始终保存当前情景，复制此链接即可分享。"},
    "download_scenario": {"en": "Download scenario (TOML)", "zh": "下载情景（TOML）"},
    "download_results": {"en": "Download results (CSV)", "zh": "下载结果（CSV）"},
    "upload_scenario": {"en": "Upload a scenario file (TOML)", "zh": "上传情景文件（TOML）"},
    "upload_apply": {"en": "Apply uploaded scenario", "zh": "应用上传的情景"},
    "upload_ok": {"en": "Loaded scenario '{title}' ({n} levers changed from baseline).",
                  "zh": "已载入情景“{title}”（相对基准调整 {n} 项杠杆）。"},
    "upload_error": {"en": "Could not use the uploaded file: {msg}", "zh": "无法使用上传的文件：{msg}"},
    "url_error": {"en": "Ignored part of the link: {msg}", "zh": "已忽略链接中的无效部分：{msg}"},
    "url_notice": {"en": "{msg}", "zh": "{msg}"},
    "url_old_model": {"en": "This link was made with model version {old}; the current model is {new}. "
                            "The levers were applied, but results may differ from those the sender saw.",
                      "zh": "此链接由模型版本 {old} 生成，当前模型为 {new}。已应用杠杆设置，但结果可能与分享者看到的不同。"},
    "url_no_model": {"en": "This link carries no model version; the levers were applied to the current model.",
                     "zh": "此链接未注明模型版本；已将杠杆应用于当前模型。"},
    # trust
    "trust_intro": {
        "en": "What the results rest on: the model version, the parameter ensemble behind the bands, "
              "sensitivity indices and the fit to observed data.",
        "zh": "结果的依据：模型版本、不确定性区间所用参数集合、敏感性指数以及与观测数据的拟合。"},
    "model_version": {"en": "Model version (hash of {file}): {hash}", "zh": "模型版本（{file} 的哈希值）：{hash}"},
    "ensemble_heading": {"en": "Uncertainty ensemble", "zh": "不确定性参数集合"},
    "ensemble_prior": {
        "en": "Parameter uncertainty (prior ranges, not yet calibrated): {n} Latin-hypercube draws of {k} "
              "uncertain parameters, each within ±25 % of its documented range around its default (seed {seed}).",
        "zh": "参数不确定性（先验范围，尚未率定）：对 {k} 个不确定参数进行 {n} 次拉丁超立方抽样，"
              "每个参数在其默认值附近、文献范围的 ±25% 内取值（随机种子 {seed}）。"},
    "ensemble_file": {"en": "Calibrated parameter ensemble from {file}: {n} draws of {k} parameters.",
                      "zh": "来自 {file} 的率定参数集合：{k} 个参数，{n} 组。"},
    "sensitivity_heading": {"en": "Sensitivity analysis", "zh": "敏感性分析"},
    "sensitivity_missing": {"en": "Not yet computed: no committed reference results ({file}).",
                            "zh": "尚未计算：没有已提交的参考结果（{file}）。"},
    "sensitivity_method": {"en": "Method", "zh": "方法"},
    "sensitivity_output": {"en": "Output", "zh": "输出变量"},
    "sensitivity_year": {"en": "Year", "zh": "年份"},
    "sensitivity_index": {"en": "Index", "zh": "指数"},
    "fit_heading": {"en": "Fit to observed data", "zh": "与观测数据的拟合"},
    "fit_missing": {"en": "Not yet computed: no fit report ({file}).", "zh": "尚未计算：没有拟合报告（{file}）。"},
    "params_heading": {"en": "Uncertain parameters (prior ranges)", "zh": "不确定参数（先验范围）"},
    "timing": {"en": "Last run: {ms:.0f} ms", "zh": "上次运行：{ms:.0f} 毫秒"},
    # find a policy (sim/search/app_tab.py)
    "tab_find": {"en": "Find a policy", "zh": "寻找政策"},
    "switch_off": {"en": "off", "zh": "关"},
    "fp_title": {"en": "Find a policy: multi-objective lever search", "zh": "寻找政策：多目标政策杠杆搜索"},
    "fp_intro": {
        "en": "A lever search (NSGA-II) returns the Pareto front: lever packages that keep the chosen red lines "
              "and none of which can improve one objective without worsening another. Pick a point on the "
              "chart or in the list and load it into the levers; the Dashboard then shows it as the current "
              "scenario.",
        "zh": "政策杠杆搜索（NSGA-II 多目标优化）给出帕累托前沿：前沿上的每个杠杆组合都守住所选红线，且无法在不损害"
              "另一目标的前提下改进任一目标。在图中或列表中选择一个点并载入政策杠杆，即可在“总览”页将其作为当前情景查看。"},
    "fp_at_year": {"en": "{name}, {year}", "zh": "{year}年{name}"},
    "fp_quick": {"en": "Quick search (objectives and red lines)", "zh": "快速搜索（目标与红线）"},
    "fp_maximise": {"en": "Maximise", "zh": "最大化"},
    "fp_minimise": {"en": "Minimise", "zh": "最小化"},
    "fp_year": {"en": "Objective year", "zh": "目标年份"},
    "fp_red_lines_kept": {"en": "Red lines to keep, {first}–{last}", "zh": "须守住的红线（{first}—{last}年）"},
    "fp_red_lines_help": {
        "en": "A design counts as feasible only if none of these red lines is breached in any year of the window "
              "(central parameter set, Belt regions). Policies start in 2025.",
        "zh": "仅当所选红线在该时段内任何一年均未被突破时（中心参数组、经济带各区域），方案才视为可行。政策自2025年起实施。"},
    "fp_run": {"en": "Run search ({pop} × {gen} = {n} runs, 10–30 s)",
               "zh": "开始搜索（{pop} × {gen} = {n} 次模拟，约10—30秒）"},
    "fp_run_help": {"en": "Searches every lever within its range (start year fixed at 2025); the result is saved "
                          "under runs/search/ and selected below.",
                    "zh": "在各杠杆取值范围内搜索（政策起始年固定为2025年）；结果保存在 runs/search/ 下并在下方自动选中。"},
    "fp_running": {"en": "Searching lever packages…", "zh": "正在搜索杠杆组合…"},
    "fp_search_done": {"en": "Search done: {n} Pareto points, saved in {where}.",
                       "zh": "搜索完成：帕累托前沿共 {n} 个点，已保存至 {where}。"},
    "fp_search_error": {"en": "The search did not finish: {msg}", "zh": "搜索未能完成：{msg}"},
    "fp_no_search": {"en": "No saved search yet: run `oasis-sd optimise search/example_spec.toml`.",
                     "zh": "尚无已保存的搜索结果：请运行 `oasis-sd optimise search/example_spec.toml`。"},
    "fp_empty_search": {"en": "This search has no Pareto point.", "zh": "该搜索结果中没有帕累托点。"},
    "fp_saved_search": {"en": "Saved search", "zh": "已保存的搜索结果"},
    "fp_x": {"en": "Horizontal axis", "zh": "横轴"},
    "fp_y": {"en": "Vertical axis", "zh": "纵轴"},
    "fp_front": {"en": "Pareto front", "zh": "帕累托前沿"},
    "fp_presets": {"en": "Preset scenarios", "zh": "预设情景"},
    "fp_chart_caption": {
        "en": "Blue dots: Pareto front ({n} points); red ring: selected point; grey crosses: preset scenarios "
              "(central run). Click a dot to select it.",
        "zh": "蓝色圆点：帕累托前沿（{n} 个点）；红圈：当前选中点；灰色十字：预设情景（中心参数运行）。点击圆点即可选中。"},
    "fp_point": {"en": "Pareto point", "zh": "帕累托点"},
    "fp_col_point": {"en": "Point", "zh": "方案点"},
    "fp_col_lever": {"en": "Lever", "zh": "政策杠杆"},
    "fp_col_point_value": {"en": "This point", "zh": "该点取值"},
    "fp_col_baseline": {"en": "Baseline", "zh": "基准值"},
    "fp_col_objective": {"en": "Objective", "zh": "目标"},
    "fp_col_sense": {"en": "Direction", "zh": "方向"},
    "fp_col_scenario": {"en": "Scenario", "zh": "情景"},
    "fp_col_outcome": {"en": "Outcome", "zh": "结果指标"},
    "fp_sense_max": {"en": "maximise", "zh": "最大化"},
    "fp_sense_min": {"en": "minimise", "zh": "最小化"},
    "fp_objectives": {"en": "Objectives of {point}", "zh": "{point} 的目标值"},
    "fp_point_levers": {"en": "Levers of {point} changed from baseline: {n} of {total}",
                        "zh": "{point} 相对基准调整的杠杆：{n} 项（共 {total} 项）"},
    "fp_load": {"en": "Load this point as the current scenario", "zh": "将该点载入为当前情景"},
    "fp_load_help": {"en": "Sets every lever to this point's values (the preset becomes \"(custom)\").",
                     "zh": "将所有杠杆设为该点的取值（预设情景变为“自定义”）。"},
    "fp_loaded": {"en": "Loaded Pareto point {point} of {search} into the levers ({n} levers changed from baseline). "
                        "The Dashboard tab shows its results.",
                  "zh": "已将 {search} 的帕累托点 {point} 载入政策杠杆（相对基准调整 {n} 项）。可在“总览”页查看其结果。"},
    "fp_load_error": {"en": "Could not load {point}: {msg}", "zh": "无法载入 {point}：{msg}"},
    "fp_robustness": {"en": "Robustness per scenario", "zh": "各情景的稳健性"},
    "fp_no_robustness": {"en": "No robustness table yet: run `oasis-sd robustness`.",
                         "zh": "尚无稳健性分析结果：请运行 `oasis-sd robustness`。"},
    "fp_robustness_result": {"en": "Robustness result", "zh": "稳健性分析结果"},
    "fp_satisficing_caption": {
        "en": "Share of futures (calibration ensemble × deep uncertainties) in which each red line is kept",
        "zh": "各红线得以守住的未来情形占比（率定参数集合 × 深度不确定性）"},
    "fp_all_red_lines": {"en": "All red lines", "zh": "全部红线"},
    "fp_share_kept": {"en": "Share of futures kept", "zh": "守住红线的未来占比"},
    "fp_regret_caption": {
        "en": "Regret against the best scenario in the same future (mean, 90th percentile, maximum), in the "
              "outcome's units; share of futures in which the scenario is the best",
        "zh": "相对同一未来情形下最优情景的遗憾值（均值、第90百分位、最大值），单位同结果指标；以及该情景为最优的未来占比"},
    "fp_mean_regret": {"en": "Mean regret", "zh": "平均遗憾值"},
    "fp_p90_regret": {"en": "Regret, 90th percentile", "zh": "遗憾值（第90百分位）"},
    "fp_max_regret": {"en": "Maximum regret", "zh": "最大遗憾值"},
    "fp_share_best": {"en": "Share of futures best", "zh": "最优情形占比"},
    "fp_discovery": {"en": "Scenario discovery: when does a scenario fail?", "zh": "情景发现：情景在何种条件下失效？"},
    "fp_no_discovery": {"en": "No scenario discovery yet: run `oasis-sd discover --scenario NAME --red-line groundwater`.",
                        "zh": "尚无情景发现结果：请运行 `oasis-sd discover --scenario 情景名 --red-line groundwater`。"},
    "fp_discovery_result": {"en": "Discovery result", "zh": "情景发现结果"},
    "fp_discovery_caption": {
        "en": "PRIM boxes: ranges of the uncertain inputs in which the failures concentrate. Coverage: share of "
              "all failing futures inside the box; density: share of the futures inside the box that fail; "
              "mass: share of all futures inside the box.",
        "zh": "PRIM 盒：失效情形集中出现的不确定输入取值范围。覆盖率：盒内失效情形占全部失效情形的比例；"
              "密度：盒内情形中失效的比例；质量：盒内情形占全部情形的比例。"},
    "fp_discovery_report": {"en": "Full report (peeling trajectory, CART view)", "zh": "完整报告（剥离轨迹、CART 分类树）"},
    "fp_col_box": {"en": "Box", "zh": "盒"},
    "fp_col_input": {"en": "Uncertain input", "zh": "不确定输入"},
    "fp_col_range": {"en": "Range in the box", "zh": "盒内取值范围"},
    "fp_coverage": {"en": "Coverage", "zh": "覆盖率"},
    "fp_density": {"en": "Density", "zh": "密度"},
    "fp_mass": {"en": "Mass", "zh": "质量"},
    "fp_col_futures": {"en": "Futures in box", "zh": "盒内情形数"},
}

REGION_NAMES = {
    "belt": {"en": "Tianshan North Slope belt (5 regions)", "zh": "天山北坡经济带（5个区域）"},
    "core": {"en": "TNS core (Urumqi–Changji, Shihezi, Kuitun–Karamay)", "zh": "天山北坡核心区（乌昌、石河子、奎独乌克）"},
    "xinjiang": {"en": "All Xinjiang", "zh": "新疆全区"},
    "urumqi_changji": {"en": "Urumqi–Changji", "zh": "乌鲁木齐—昌吉"},
    "shihezi_manas_shawan": {"en": "Shihezi–Manas–Shawan", "zh": "石河子—玛纳斯—沙湾"},
    "kuitun_dushanzi_wusu_karamay": {"en": "Kuitun–Dushanzi–Wusu–Karamay", "zh": "奎屯—独山子—乌苏—克拉玛依"},
    "bole_ebinur": {"en": "Bole–Ebinur (Bortala)", "zh": "博乐—艾比湖（博州）"},
    "turpan_hami": {"en": "Turpan–Hami", "zh": "吐鲁番—哈密"},
    "rest_of_xinjiang": {"en": "Rest of Xinjiang", "zh": "新疆其余地区"},
}

UNITS_ZH = {
    "10⁴ persons": "万人",
    "10⁸ yuan": "亿元",
    "10⁸ m³/yr": "亿m³/年",
    "CNY/t": "元/吨",
    "10⁸ m³": "亿m³",
    "kha": "千公顷",
    "Mt/yr": "百万吨CO₂/年",
    "kt/yr": "千吨/年",
    "m³/10⁴ yuan": "m³/万元",
    "t/10⁴ yuan": "吨/万元",
    "ratio": "比值",
    "%": "%",
    "km²": "km²",
    "Year": "年",
    "%/Year": "%/年",
    "1e8 m3/Year": "亿m³/年",
    "Dmnl": "开关",
    "percentage points": "百分点",
    "1/Year": "1/年",
}
UNITS_EN = {"Mt/yr": "Mt CO₂/yr", "1e8 m3/Year": "10⁸ m³/yr", "%/Year": "%/yr", "Dmnl": "on/off",
            "percentage points": "pp", "1/Year": "1/yr"}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The UI string ``key`` in ``lang`` ('en' or 'zh'), formatted with ``fmt``."""
    entry = STRINGS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text


def region_name(geography: str, lang: str = "en") -> str:
    names = REGION_NAMES.get(geography)
    return names.get(lang, names["en"]) if names else geography


def unit(units: str, lang: str = "en") -> str:
    """Units in the display language (Chinese statistics conventions in both)."""
    if lang == "zh":
        return UNITS_ZH.get(units, units)
    return UNITS_EN.get(units, units)
