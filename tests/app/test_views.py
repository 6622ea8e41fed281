"""The app's table display: times of day as HH:MM, numbers by the one formatter."""

from __future__ import annotations

import math

import pandas as pd

from optimizer.app.views import readable


def test_readable_formats_clock_columns_and_numbers_but_keeps_the_values() -> None:
    frame = pd.DataFrame(
        {
            "route": ["milk #0", "milk #1"],
            "arrival_min": [390.0, 1445.0],
            "distance_km": [12.3456, math.nan],
            "stops": [3, 4],
        }
    )
    styled = readable(frame)
    html = styled.to_html()
    assert "06:30" in html and "24:05" in html  # minutes after midnight, as clock times
    assert "12.35" in html and "–" in html  # one number formatter; blanks as dashes
    assert styled.data is frame  # the values behind the display stay raw
