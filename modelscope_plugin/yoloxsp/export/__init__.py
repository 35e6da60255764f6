"""Writing an analysis out: tables (``tables``), overlays (``overlay``), plots (``plots``) and
TrackMate files (``trackmate``). Computing what they hold is :mod:`yoloxsp.analysis`'s job. Import
the module you need: the package imports nothing, so a table written never loads matplotlib."""
