"""The Streamlit app, a face: scenario, one page per model, compare, what-ifs in the sidebar.

``shell`` draws the shared sidebar and routes to the pages; ``state`` holds the session's
scenario and cached runs; ``scenario_page``, ``views`` and ``compare`` draw the pages; ``map``
the maps; ``whatif`` the what-if controls that turn into scenario overrides. Everything shown
comes from ``optimizer.pipeline``; no model rule lives here.
"""
