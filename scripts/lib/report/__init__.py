"""The HTML report written by scripts/report:

    fmt       severity colours, ATT&CK links, numbers and times, esc()
    data      EVE JSON lines (files or a Redis stream) into alerts, flow counts, incidents
    incident_data  incident records (last version of each), read defensively
    incidents the incidents section: a header per incident over its attack path
    attack_path    the attack path of one incident (inline SVG)
    sections  key figures, zone-to-zone matrix, summary tables, alert table
    timeline  the attack timeline (inline SVG)
    page      inline CSS and JS, render()
"""
