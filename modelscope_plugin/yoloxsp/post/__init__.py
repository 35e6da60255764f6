"""After detection: tracks (``tracks``), lengths (``lengths``, ``measure``), overlays (``overlay``),
plots (``plots``) and the whole movie job (``analyse``). Import the module you need: the package
imports nothing, so measuring or drawing never loads the model's dependencies."""
