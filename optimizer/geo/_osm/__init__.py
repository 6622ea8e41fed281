"""Reading OpenStreetMap: files checked and parsed into raw roads, tags turned into speeds.

``file`` checks what a file is before it is parsed; ``read`` parses ``.osm``/``.pbf`` with
pyosmium (or a GraphML cache) into arrays of nodes and ways; ``speeds`` reads ``highway``,
``maxspeed``, ``surface`` and access tags; ``online`` fetches roads through osmnx. Private to
``optimizer.geo``.
"""
