"""Many movies: which ones (``manifest``), one movie on a worker (``job``), and the batch on a
process pool or a Dask cluster (``runner``). Import the module you need; the package imports nothing."""
