"""Text classification of reports into the catalog's 小类: the engine, its metrics, its versions and its labels."""
