"""The report: the stages the chapter notebooks call, and `facegan book`.

edition (settings, paths) -> data_stage -> training -> completion -> evaluation, each cached on disk;
tables, grids, figures and provenance (captions) display their results; build runs the notebooks.
"""
