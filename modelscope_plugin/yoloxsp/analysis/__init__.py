"""What a movie's detections mean: tracks (``tracks``), ends and lengths (``ends``, ``lengths``,
``measure``), mitotic phases (``phases``) and the checks that flag a track for a look (``checks``).
Writing any of it out is :mod:`yoloxsp.export`'s job. Import the module you need: the package
imports nothing, so measuring never loads the model's dependencies."""
