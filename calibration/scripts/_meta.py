"""Static metadata for build_series.py: references (source ids) and geographies.

Kept beside the build script so that the build stays one deterministic step:
``build_series.py`` writes these tables to ``calibration/data/references.csv`` and
``calibration/data/geographies.csv`` together with ``series.csv`` and ``sources.csv``.

Every citation below is copied from the provenance of the raw files
(``calibration/data/raw/README.md``, ``SOURCES.md``, the ``#`` comment lines and the per-row
``source`` columns). Nothing is added that is not in the raw folder.
"""

from __future__ import annotations

# source_id -> (citation, raw file(s))
REFERENCES: dict[str, tuple[str, str]] = {
    "ceads_province": (
        "CEADs provincial CO2 inventory, Xinjiang sheet, 47 IPCC sectors x 17 fuels + process, "
        "apparent consumption, scope 1 (Shan et al. 2018 Sci Data 5:170201; Shan et al. 2020 Sci Data "
        "7:54; Guan et al. 2021 Earth's Future 9:e2021EF002241); copy in GitHub "
        "Open-Earth-Foundation/OpenClimate harmonize/data/raw/CEADS_china_provinces",
        "ceads_xinjiang_co2_by_fuel_1997_2019.csv; ceads_xinjiang_co2_by_sector_agg_1997_2019.csv",
    ),
    "chen2020_county": (
        "Chen J. et al. 2020, Sci Data 7:391, county-level CO2 1997-2017 (night-light downscaling of "
        "provincial totals); copy in GitHub STATS201-DKU-Autumn2024/Week1_Yuxiang data/co2.xlsx",
        "county_co2_xinjiang_1997_2017_chen2020.csv; tns_core_co2_from_county_1997_2017.csv (cross-check)",
    ),
    "gcamchina_population": (
        "umd-cgs/gcam-china China_Compendium_of_Statistics.csv (year-end, to 2008) and "
        "China_Statistics_Yearbook.csv (2000 on), 10^4 persons",
        "xinjiang_population_1975_2019.csv",
    ),
    "gcamchina_gdp_raw": (
        "umd-cgs/gcam-china GDP_raw.csv (CNKI extractor: China Statistical Yearbook + China Compendium of "
        "Statistics 1949-2008), 10^8 yuan current prices",
        "xinjiang_gdp_1975_2019_gcamchina_raw.csv",
    ),
    "nbs_echarts_gdp": (
        "NBS provincial GDP dataset shipped with the ECharts 'timeline' demo (Xinjiang = last element); "
        "pre-2013-census vintage",
        "xinjiang_gdp_sectors_2002_2011_nbs_echarts.csv",
    ),
    "xsy2006_t2_3": (
        "Xinjiang Statistical Yearbook 2006 (CD edition) table 2-3, shahit.biz mirror; post-2004-economic-"
        "census revised vintage, printed rounded",
        "xinjiang_gdp_sector_points_addendum2.csv",
    ),
    "people_daily_2019_scio": (
        "People's Daily 2019-07-31 (SCIO press conference, PRC 70th anniversary)",
        "xinjiang_gdp_sector_points_addendum2.csv",
    ),
    "xsy_energy_elasticity": (
        "Xinjiang Statistical Yearbook 2006 tables 16-8/16-9 and 2011 tables 6-8/6-9 (growth over "
        "preceding year at comparable prices), shahit.biz mirror",
        "xinjiang_energy_growth_elasticity_xsy_1980_2009.csv",
    ),
    "xsy2021_key_years": (
        "Xinjiang Statistical Yearbook 2021 key-year GDP (revised after the 2013 economic census), quoted in "
        "a GitHub ECharts dashboard file",
        "gdp_anchor_points.csv",
    ),
    "tscn_2006": (
        "english.ts.cn 2006-06-09 'Present Economic Status of Xinjiang'",
        "gdp_anchor_points.csv",
    ),
    "chinaorg_2004_review": (
        "china.org.cn ProvinceView 156243 'Xinjiang 2004 - The Year in Review' (preliminary figures)",
        "gdp_anchor_points.csv",
    ),
    "qnyxjy_2006": (
        "qnyxjy.web-32.com 'Province Introduction of China: Xinjiang' (secondary source)",
        "gdp_anchor_points.csv",
    ),
    "chinaorg_2003_urban": (
        "china.org.cn MATERIAL 139224 (end-2003 sample survey: population 19.3395 million, urban 6.6511 "
        "million)",
        "gdp_anchor_points.csv",
    ),
    "xsy2020_prefecture_gdp": (
        "zhwiki mirror of the list of Xinjiang prefecture GDP (source: Xinjiang Statistical Yearbook 2020)",
        "gdp_anchor_points.csv",
    ),
    "xsy2018_prefecture_gdp": (
        "163.com article EFU5EAT605444SSR citing Xinjiang Statistical Yearbook 2018 (rounded)",
        "gdp_anchor_points.csv",
    ),
    "chinaxiv_202101_00015": (
        "Zhuang Qingwei, Wu Shixin et al., 'Coordination of oasis change and resource allocation in "
        "Xinjiang', Arid Land Geography (ChinaXiv-202101.00015), text and Tab.2/Tab.3; NLUD land-use data",
        "tns_oasis_expansion_1990_2015.csv; gdp_anchor_points.csv",
    ),
    "news_2015_gdp_preliminary": (
        "news 2016-08-23 (wulumuqi.baogaosu.com, citing agri info net), preliminary 2015 GDP",
        "xinjiang_gdp_points_addendum.csv",
    ),
    "chinaxiv_201909_00168": (
        "Deng Mingjiang 2019, 'Three-level multi-objective water cycle regulation...', Arid Land Geography "
        "42(5) (ChinaXiv-201909.00168), Tab.2 (OCR-garbled header, columns inferred) and Tab.3",
        "xinjiang_water_use_points_addendum.csv; xinjiang_urbanization_points.csv; "
        "xinjiang_gdp_points_addendum.csv",
    ),
    "chinaxiv_201909_00150": (
        "ChinaXiv-201909.00150, text (Xinjiang urbanisation 2014)",
        "xinjiang_urbanization_points.csv",
    ),
    "chinaxiv_201811_00056": (
        "ChinaXiv-201811.00056, text (household-registration urbanisation 2016)",
        "xinjiang_urbanization_points.csv",
    ),
    "chinaxiv_201702_00135": (
        "ChinaXiv-201702.00135, text (XPCC urbanisation ~2015)",
        "xinjiang_urbanization_points.csv",
    ),
    "urbanization_points_own_derivation": (
        "xinjiang_urbanization_points.csv row marked OWN DERIVATION from the 7th census communique (2020 "
        "rate minus the reported change since the 2010 census; 2010 census basis)",
        "xinjiang_urbanization_points.csv",
    ),
    "xj_communique_2019": (
        "Xinjiang 2019 Statistical Communique (as quoted by thepaper.cn; jiangsulong.com mirror): "
        "urbanisation 51.87 % (+0.96 pp vs 2018)",
        "xinjiang_urbanization_points.csv",
    ),
    "xj_communique_2018": (
        "Xinjiang 2018 Statistical Communique, preliminary GDP, quoted by 163.com/dy/article/EFU5EAT605444SSR",
        "xinjiang_gdp_points_addendum.csv",
    ),
    "xinhua_2022_survey3": (
        "Xinhua 2022-01-11 (Xinjiang 3rd national land survey main data), via dianxian.dxbei.com",
        "cultivated_land_official_points.csv",
    ),
    "huajing_2019_water": (
        "Huajing Industry Research summary citing NBS (water use per capita 2019), qy924.com",
        "xinjiang_water_use_points_addendum2.csv",
    ),
    "li_liu_zhao_2020": (
        "Li Jiang, Liu Jiang, Zhao Ni (Xinjiang Water Resources and Hydropower Planning and Design "
        "Administration), paper on Xinjiang water security planning (2020), intro paragraph "
        "(m.jizihe.com mirror)",
        "observations_2017_2019_points.csv",
    ),
    "urumqi_census6": (
        "Urumqi 6th census communique (360docs.net mirror)",
        "observations_2017_2019_points.csv",
    ),
    "xinhua_2015_renewables": (
        "Xinhua 2015-02-08 (Xinjiang DRC): installed PV/wind capacity and generation shares, end-2014 "
        "(gov.cn mirror)",
        "observations_2017_2019_points.csv",
    ),
    "xj_drc_jpaw_2017": (
        "Xinjiang DRC release via news (jpaw.cn itemid 6026), 'as of end of last year' - YEAR NOT PRINTED, "
        "inferred ~2017 from curtailment figures (verify)",
        "observations_2017_2019_points.csv",
    ),
    "xj_gov_work_report_2022": (
        "Xinjiang Government Work Report 2022 (cqcb.com)",
        "observations_2017_2019_points.csv",
    ),
    "gcamchina_ssp_projection": (
        "OWN REPRODUCTION (shared data release 2) of umd-cgs/gcam-china zchunk_L100.Socioeconomics_"
        "preliminary_CHINA.R (commit a5dd008d) with its inputs (commit 99a28acd); SSP2 is GCAM-China's "
        "default, SSP1/3/4/5 swap the national columns; a model assumption, not a forecast",
        "gcamchina_xinjiang_pop_gdp_projection_2019_2100.csv",
    ),
    "gcamchina_ssp_inputs": (
        "umd-cgs/gcam-china input/gcamdata/inst/extdata/gcam-china/ SSPS_Population.csv (IIASA-WiC), "
        "SSPS_GDP.csv (OECD Env-Growth), IMF_growth_rates.csv (WEO April 2020), Population_Growth_Rates.csv "
        "(commit 99a28acd)",
        "ssp_china_national_growth_inputs_gcamchina.csv",
    ),
    "state_council_2013_2": (
        "State Council 国办发〔2013〕2号 annex 1, provincial total water-use caps 2015/2020/2030 (withdrawal "
        "basis, incl. XPCC), as transcribed in a GitHub Python module",
        "policy_targets_xinjiang_china.csv",
    ),
    "state_council_2024_70": (
        "State Council 国函〔2024〕70号 approving the Xinjiang territorial spatial plan 2021-2035, item 2 "
        "(denizliaci.com full text; people.com.cn 2024-05-25)",
        "policy_targets_xinjiang_china.csv",
    ),
    "xj_13fyp_ghg_plan": (
        "Xinjiang 13th-FYP plan for controlling greenhouse gas emissions (2017), lc123.net",
        "policy_targets_xinjiang_china.csv",
    ),
    "cpc_sc_2021_carbon": (
        "CPC Central Committee and State Council opinion on carbon peaking and carbon neutrality "
        "(2021-10-24), ksymf.com mirror",
        "policy_targets_xinjiang_china.csv",
    ),
    "state_council_2012_3": (
        "State Council 国发〔2012〕3号 on the strictest water resources management system (Xinhua 2012-02-16)",
        "policy_targets_xinjiang_china.csv",
    ),
    "chinaxiv_202110_00028": (
        "ChinaXiv-202110.00028 (water resources protection strategy of Xinjiang water ecological "
        "civilisation, Arid Land Geography), literature review citing Deng Mingjiang and CAE (Qian Zhengying "
        "et al.) expert recommendations - NOT official caps",
        "policy_targets_xinjiang_china.csv",
    ),
    "cai_cao_lei_2021": (
        "Cai Bofeng, Cao Libin, Lei Yu 2021, China Population, Resources and Environment 31(1), CAEP-CP 1.1 "
        "China CO2 pathway (fx361.cc abstract)",
        "projection_points_literature.csv",
    ),
    "tsinghua_iccsd_2020": (
        "Tsinghua ICCSD 2020 carbon-neutrality report launch (He Jiankun), policycn.com summary",
        "projection_points_literature.csv",
    ),
    "chinaxiv_201906_00055": (
        "Dong Bangbang et al., ChinaXiv-201906.00055 (STIRPAT, NW China five provinces emission peak), abstract",
        "projection_points_literature.csv",
    ),
    "chinaxiv_202101_00029": (
        "Deng Mingjiang, 'Tianshan North Slope Economic Belt sansheng space development pattern and "
        "intelligent water network', Arid Land Geography (ChinaXiv-202101.00029); TNS = Mulei to "
        "Wenquan/Alashankou incl. XPCC divisions",
        "tns_2017_socioeconomic_water_deng.csv; ebinur_manas_lake_points_addendum.csv",
    ),
    "cpsy_gcamchina_elec": (
        "China Power Statistical Yearbook via umd-cgs/gcam-china CPSY_GWh_province_F_elec_out.csv "
        "(units '100 GWh' = 10^8 kWh)",
        "xinjiang_electricity_generation_by_fuel_1994_2017_cpsy_gcamchina.csv",
    ),
    "lbl_gcamchina_energy": (
        "China Statistical Yearbook via LBL China Energy Databook v9, as umd-cgs/gcam-china "
        "en_balance_Mtce_Yh_province.csv, Mtce",
        "xinjiang_energy_balance_1985_2014_gcamchina_lbl.csv",
    ),
    "chinaxiv_202001_00009": (
        "ChinaXiv-202001.00009 (land-cover change of Xinjiang over 40 years of reform), Tab.2, Landsat "
        "classification, whole Xinjiang",
        "xinjiang_landcover_1975_2015_km2.csv",
    ),
    "chinaxiv_202101_00022": (
        "Liu Hongxia et al., ChinaXiv-202101.00022 (sand industry and water carrying capacity of Xinjiang), "
        "Tab.3 (CAS LUCC land use) and Tab.5 (water footprint, domestic/ecological water from the Xinjiang "
        "Water Resources Bulletin and yearbooks)",
        "xinjiang_landuse_2000_2015_km2_alt.csv; xinjiang_water_footprint_domestic_eco_water_2000_2015.csv",
    ),
    "chinaxiv_201811_00059": (
        "He Ke, Wu Shixin et al. 2018, 'Land use and oasis dynamics of Xinjiang over 40 years', Arid Land "
        "Geography (ChinaXiv-201811.00059), Tab.5 and text; CAS NLUD-type 1:100k interpretation",
        "xinjiang_oasis_share_1970s_2015.csv; xinjiang_rs_cultivated_land_increments_1970s_2015.csv",
    ),
    "chinaxiv_201909_00094": (
        "ChinaXiv-201909.00094 (57 years of land use/cover change in the Manas River basin; basin area "
        "3.09e4 km2), Tab.1; 1958 aerial photographs + Landsat",
        "manas_basin_cultivated_land_1958_2015.csv",
    ),
    "chinaxiv_201901_00086": (
        "Wang Jing, Liu Hailong, Wang Ling 2019, 'Suitable oasis scale in Manas River Basin', Arid Land "
        "Geography 42(1) (ChinaXiv-201901.00086), Tab.4, Tab.7 and non-vegetation water-use table",
        "manas_basin_landuse_oasis_water_2000_2015.csv",
    ),
    "chinaxiv_201909_00020": (
        "ChinaXiv-201909.00020 (oasis evolution and landscape pattern in the Manas River basin; Landsat "
        "1976/1989/1998/2006/2016), middle-lower reaches",
        "manas_oasis_area_points.csv",
    ),
    "chinaxiv_201807_00004": (
        "He Ke & Wu Shixin 2018, 'Two typical land use changes in Manas River Basin' (ChinaXiv-201807.00004), "
        "Tab.4 (XPCC) and Tab.5 (local government); MSS 1972-78 and Landsat OLI 2015",
        "manas_basin_xpcc_vs_local_landuse_1970s_2015_km2.csv",
    ),
    "chinaxiv_202203_00097": (
        "Liang Hongwu, Alimujiang Kasimu et al. (ChinaXiv-202203.00097), Tab.2, MODIS-era land-use maps "
        "reclassified by the authors, TNS urban agglomeration extent of their Fig.1",
        "tns_urban_agglomeration_landuse_2005_2018_km2.csv",
    ),
    "csy2004_t13_5": (
        "China Statistical Yearbook 2004 table 13-5 'Area of Cultivated Land by Region' (land-survey basis, "
        "1996)",
        "cultivated_land_official_points.csv",
    ),
    "xsy2003_t8_8": (
        "Xinjiang Statistical Yearbook 2003 table 8-8 (year-end statistical cultivated area, county detail), "
        "shahit.biz mirror",
        "cultivated_land_official_points.csv",
    ),
    "tacheng_survey3": (
        "Tacheng Prefecture 3rd National Land Survey main-data communique (xjtc.gov.cn)",
        "cultivated_land_official_points.csv",
    ),
    "altay_survey3": (
        "Altay Prefecture 3rd National Land Survey communique (zh.wikisource)",
        "cultivated_land_official_points.csv",
    ),
    "xsy2003_t8_16": (
        "Xinjiang Statistical Yearbook 2003 table 8-16 (sown areas), shahit.biz mirror",
        "tns_definitions_and_crop_points.csv",
    ),
    "chinaxiv_202102_00062": (
        "Li Jiang et al., ChinaXiv-202102.00062 (reservoir construction in Xinjiang), Arid Land Geography, "
        "Tab.1 (2017 by prefecture; unit read as 10^8 m3) and text",
        "prefecture_water_use_2017.csv; xinjiang_water_use_points_addendum.csv",
    ),
    "zhang_pei_2021": (
        "Zhang Pei, Long Aihua et al. 2021, Journal of Glaciology and Geocryology 43(1), citing Xinjiang "
        "Water Resources Bulletins and the 1st Xinjiang water census (fx361.cc mirror)",
        "xinjiang_water_use_points_addendum.csv",
    ),
    "xj_water_bulletin_2014": (
        "2014 Xinjiang Water Resources Bulletin (summary mirror m.ilynn.cn/document_detail/81236.html)",
        "xinjiang_water_use_points_addendum.csv",
    ),
    "shao_chen_2010": (
        "Shao Shuanglin & Chen Hongyan 2010, Water Resources Planning and Design 2010(3) (XPCC water use)",
        "xinjiang_water_use_points_addendum.csv",
    ),
    "mwr_bulletin_2012": (
        "2012 China Water Resources Bulletin (MWR), page 5",
        "xinjiang_water_use_points_addendum2.csv",
    ),
    "hu2019_grace": (
        "Hu Zengyun et al. 2019, Remote Sens. 11(16):1908 (GRACE-GLDAS groundwater storage, abstract)",
        "groundwater_grace_points_addendum.csv",
    ),
    "water2024_tianshan": (
        "Water 2024 16(5):696 'Impact of vegetation restoration on groundwater ... Tianshan & Yili' "
        "(conclusions; CSR mascon)",
        "groundwater_grace_points_addendum.csv",
    ),
    "cao2018_grace": (
        "Cao, Nan, Cheng, Zhang 2018, Adv. Meteorol. 1502472 (GRACE terrestrial water storage, abstract)",
        "groundwater_points.csv",
    ),
    "wei2017_manas_wells": (
        "Wei Xing, Jia Ruiliang, Zhou Jinlong, Wang Xinzhong 2017, South-to-North Water Transfers and Water "
        "Science & Technology 15(5):127-133 (Manas River basin typical profile, 13 wells, abstract)",
        "groundwater_points.csv",
    ),
    "spot_vgt_ebinur": (
        "'Change in area of Ebinur Lake during the 1998-2005 period' (abstract; SPOT/VEGETATION "
        "NDVI+NDWI, annual means)",
        "ebinur_lake_area_points.csv",
    ),
    "zhang_fei_2015": (
        "Zhang Fei et al. 2015, Acta Ecologica Sinica 35(9):2848-2859, doi:10.5846/stxb201407021362 "
        "(Landsat NDWI, September scenes)",
        "ebinur_lake_area_points.csv",
    ),
    "chinaxiv_202012_00043": (
        "ChinaXiv-202012.00043, text ('about 500 km2')",
        "ebinur_manas_lake_points_addendum.csv",
    ),
    "reas_v21": (
        "REAS v2.1 regional emission inventory, 2007 tables (Kurokawa et al. 2013, Atmos. Chem. Phys. "
        "13:11019), mirrored in GitHub ctli/MATLAB_for_CREM; modelled bottom-up inventory",
        "xinjiang_air_pollutant_emissions_points.csv",
    ),
    "xjtv_2009_env": (
        "Xinjiang TV news page (genci.cn) quoting official 2009 environmental statistics",
        "xinjiang_air_pollutant_emissions_points.csv",
    ),
    "chinaxiv_202208_00059": (
        "Li Shuting, Li Xia et al., 'Air pollution in the urban agglomeration on the north slope of the "
        "middle Tianshan 2017-2019' (ChinaXiv-202208.00059), Tab.2",
        "tns_air_quality_points.csv",
    ),
    "xj_aq_release_2017": (
        "Xinjiang environmental monitoring release 2017 ('2017 city ambient air quality improved overall')",
        "tns_air_quality_points.csv",
    ),
    "nbs_cotton_2015": (
        "NBS cotton production release 2015 (Hou Rui interpretation), news mirrors",
        "xinjiang_cotton_area_output_2014_2019_points.csv",
    ),
    "nbs_cotton_2016": (
        "NBS 2016 cotton release (Huang Bingxin), People's Daily 2016-12-21 mirror",
        "xinjiang_cotton_area_output_2014_2019_points.csv",
    ),
    "nbs_cotton_2017": (
        "NBS announcement on 2017 cotton output (2017-12-18), provincial table (snbst.com mirror); first "
        "release, revised after the 3rd agricultural census",
        "xinjiang_cotton_area_output_2014_2019_points.csv",
    ),
    "nbs_cotton_2018": (
        "NBS 2018 cotton release (Hou Rui), toogu.cn / scfysm.cn mirrors",
        "xinjiang_cotton_area_output_2014_2019_points.csv",
    ),
    "nbs_cotton_2019": (
        "NBS announcement on 2019 cotton output (2019-12-17), provincial table (dx2025.com mirror)",
        "xinjiang_cotton_area_output_2014_2019_points.csv",
    ),
}

# geography id -> (description, model regions it maps to, mapping status)
# mapping status: "exact" = union of whole model regions; "partial" = overlaps model regions but is
# not a union of them (the listed regions contain it or it cuts through them); "outside" = larger
# than or unrelated to the model area; "unmapped" = location not stated in the raw data.
SIX_REGIONS = (
    "urumqi_changji",
    "shihezi_manas_shawan",
    "kuitun_dushanzi_wusu_karamay",
    "bole_ebinur",
    "turpan_hami",
    "rest_of_xinjiang",
)

GEOGRAPHIES: dict[str, tuple[str, str, str]] = {
    "urumqi_changji": (
        "Model region: Urumqi City (all districts + Urumqi County); Changji Prefecture except Manas County; "
        "Wujiaqu City (XPCC)",
        "urumqi_changji",
        "exact",
    ),
    "shihezi_manas_shawan": (
        "Model region: Shihezi City (XPCC); Manas County; Shawan County",
        "shihezi_manas_shawan",
        "exact",
    ),
    "kuitun_dushanzi_wusu_karamay": (
        "Model region: Karamay City (Dushanzi, Karamay, Baijiantan, Urho districts); Kuitun City; Wusu City",
        "kuitun_dushanzi_wusu_karamay",
        "exact",
    ),
    "bole_ebinur": (
        "Model region: Bortala Prefecture (Bole City, Jinghe, Wenquan, Alashankou)",
        "bole_ebinur",
        "exact",
    ),
    "turpan_hami": (
        "Model region: Turpan Prefecture (Turpan/Gaochang, Shanshan, Toksun) and Hami Prefecture "
        "(Hami/Yizhou, Yiwu, Barkol)",
        "turpan_hami",
        "exact",
    ),
    "rest_of_xinjiang": (
        "Model region: every other county of Xinjiang",
        "rest_of_xinjiang",
        "exact",
    ),
    "xinjiang": (
        "Xinjiang Uygur Autonomous Region incl. XPCC (sum of all six model regions)",
        ";".join(SIX_REGIONS),
        "exact",
    ),
    "tns_core": (
        "TNS core as in the county-CO2 aggregate: Urumqi (all), Changji Prefecture (all 7 units incl. Manas "
        "County), Karamay (all), Shihezi, Wujiaqu, Kuitun, Wusu, Shawan = exactly the union of three model "
        "regions",
        "urumqi_changji;shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay",
        "exact",
    ),
    "tns_4city": (
        "TNS as 4 prefecture-level units: Urumqi City + Changji Prefecture + Shihezi + Karamay "
        "(ChinaXiv-202101.00015; prefecture statistics). Lacks Kuitun, Wusu, Shawan (and Wujiaqu unless "
        "counted with Changji), so it is NOT tns_core",
        "urumqi_changji;shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay",
        "partial",
    ),
    "tns_deng": (
        "TNS per Deng (ChinaXiv-202101.00029): Mulei-Qitai-Jimsar (east), Urumqi-Changji-Fukang-Hutubi-"
        "Manas-Shawan-Shihezi-Wujiaqu + XPCC div. 6, 8, (11), 12 (middle), Bole-Alashankou-Jinghe-Wenquan-"
        "Kuitun-Wusu-Shuanghe-Karamay + XPCC div. 5, 7 (west); roughly tns_core + bole_ebinur",
        "urumqi_changji;shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay;bole_ebinur",
        "partial",
    ),
    "tns_urban_agglomeration_liang": (
        "TNS urban agglomeration as mapped in Liang et al. Fig.1 (ChinaXiv-202203.00097), 193,936 km2",
        "urumqi_changji;shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay;bole_ebinur",
        "partial",
    ),
    "xinjiang_local": (
        "Xinjiang local government areas, excluding XPCC",
        ";".join(SIX_REGIONS),
        "partial",
    ),
    "xpcc": (
        "Xinjiang Production and Construction Corps (Bingtuan), all divisions",
        ";".join(SIX_REGIONS),
        "partial",
    ),
    "north_xinjiang": (
        "North Xinjiang as in Deng 2019 (ChinaXiv-201909.00168) three-zone split (north/south/east)",
        "urumqi_changji;shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay;bole_ebinur;rest_of_xinjiang",
        "partial",
    ),
    "south_xinjiang": (
        "South Xinjiang as in Deng 2019 / Zhuang 2021 (Bayingolin, Aksu, Kizilsu, Kashgar, Hotan)",
        "rest_of_xinjiang",
        "partial",
    ),
    "east_xinjiang": (
        "East Xinjiang in the Deng 2019 three-zone split (north/south/east); its composition is not stated "
        "in the raw data (conventionally Hami + Turpan = turpan_hami, not asserted here). Zhuang 2021's "
        "'East Xinjiang (Hami; Turpan)' is stored directly under turpan_hami",
        "turpan_hami",
        "partial",
    ),
    "nw_north_xinjiang": (
        "NW part of North Xinjiang per Zhuang 2021: Ili direct counties, Tacheng, Altay, Bortala",
        "bole_ebinur;kuitun_dushanzi_wusu_karamay;shihezi_manas_shawan;rest_of_xinjiang",
        "partial",
    ),
    "urumqi_city": ("Urumqi City (prefecture-level)", "urumqi_changji", "partial"),
    "china": ("China (national)", "", "outside"),
    "china_31_provinces": ("China, sum of the 31 provincial values of a projection", "", "outside"),
    "nw_china_5_provinces": ("Shaanxi, Gansu, Qinghai, Ningxia and Xinjiang", "", "outside"),
    "changji_pref": (
        "Changji Hui Autonomous Prefecture (incl. Manas County, which belongs to shihezi_manas_shawan)",
        "urumqi_changji;shihezi_manas_shawan",
        "partial",
    ),
    "changji_city": ("Changji City (county-level city; air-quality station city)", "urumqi_changji", "partial"),
    "karamay_city": ("Karamay City (prefecture-level)", "kuitun_dushanzi_wusu_karamay", "partial"),
    "shihezi_city": ("Shihezi City (XPCC)", "shihezi_manas_shawan", "partial"),
    "wujiaqu_city": ("Wujiaqu City (XPCC)", "urumqi_changji", "partial"),
    "ili_pref_incl_tacheng_altay": (
        "Ili Kazak Autonomous Prefecture incl. Tacheng and Altay (as in XSY2003 t8-8)",
        "kuitun_dushanzi_wusu_karamay;shihezi_manas_shawan;rest_of_xinjiang",
        "partial",
    ),
    "tacheng_pref": (
        "Tacheng Prefecture (incl. Wusu and Shawan)",
        "kuitun_dushanzi_wusu_karamay;shihezi_manas_shawan;rest_of_xinjiang",
        "partial",
    ),
    "altay_pref": ("Altay Prefecture", "rest_of_xinjiang", "partial"),
    "manas_basin": (
        "Manas River basin per ChinaXiv-201909.00094 (basin area 3.09e4 km2)",
        "shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay;urumqi_changji",
        "partial",
    ),
    "manas_basin_wang2019": (
        "Manas River basin per Wang Jing et al. 2019 (ChinaXiv-201901.00086; 43deg45'-45deg51'N, "
        "85deg17'-87deg03'E) - a different delineation from manas_basin",
        "shihezi_manas_shawan;kuitun_dushanzi_wusu_karamay;urumqi_changji",
        "partial",
    ),
    "manas_basin_midlower": (
        "Middle-lower reaches of the Manas River (ChinaXiv-201909.00020)",
        "shihezi_manas_shawan",
        "partial",
    ),
    "manas_basin_xpcc_land": (
        "XPCC (Bingtuan) land inside the Manas River basin (ChinaXiv-201807.00004), 9,149.18 km2",
        "shihezi_manas_shawan",
        "partial",
    ),
    "manas_basin_local_land": (
        "Local-government land inside the Manas River basin (ChinaXiv-201807.00004), 11,875.70 km2",
        "shihezi_manas_shawan",
        "partial",
    ),
    "manas_basin_wells_profile": (
        "Typical groundwater profile of the Manas River basin (13 wells; Wei Xing et al. 2017)",
        "shihezi_manas_shawan",
        "partial",
    ),
    "tianshan_yili": (
        "Tianshan Mountains and Yili Valley (GRACE mascon study, Water 2024)",
        "",
        "outside",
    ),
    "nw_china_arid_north": (
        "Northern part of arid NW China incl. northern Xinjiang (Cao et al. 2018)",
        "",
        "outside",
    ),
    "nw_china_arid": ("Arid NW China (Cao et al. 2018)", "", "outside"),
    "ebinur_lake": ("Ebinur Lake water surface (in bole_ebinur)", "bole_ebinur", "partial"),
    "manas_lake": (
        "Manas Lake water surface (terminal lake of the Manas River); its county is not given in the raw "
        "data, so it is not mapped to a model region",
        "",
        "unmapped",
    ),
}
