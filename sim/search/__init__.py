"""Policy search over the batched engine: multi-objective lever search (:mod:`.optimise`),
robustness over the calibration ensemble × deep uncertainties (:mod:`.robustness`) and scenario
discovery with PRIM (:mod:`.discover`). Specs: :mod:`.spec`; evaluation and red lines:
:mod:`.evaluate`; the app tab: :mod:`.app_tab`."""
