"""The HTML report written by scripts/report:

    fmt       severity colours, ATT&CK links, numbers and times, esc()
    data      EVE JSON lines (files or a Redis stream) into alerts and flow counts
    sections  key figures, zone-to-zone matrix, summary tables, alert table
    timeline  the attack timeline (inline SVG)
    page      inline CSS and JS, render()
"""
