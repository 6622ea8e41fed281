"""One module per schema revision of the run store, oldest first (``0001`` the first schema,
``0002`` the map layers and per-member figures, ``0003`` samples kept as their base and
overrides); each changes the tables with Alembic's operations only and imports nothing from
the project, so that an old revision never changes when the code moves on.
"""
