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
}
UNITS_EN = {"Mt/yr": "Mt CO₂/yr", "1e8 m3/Year": "10⁸ m³/yr", "%/Year": "%/yr", "Dmnl": "on/off",
            "percentage points": "pp"}


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
