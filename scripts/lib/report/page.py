"""The page: inline CSS, the few lines of JS that sort and filter tables, and
render(), which puts the sections together under a Content-Security-Policy
that forbids any other source."""
from datetime import datetime, timezone

from .fmt import esc, fmt_int, fmt_time, tz_label
from .incidents import CSS as INCIDENT_CSS, section_incidents
from .timeline import section_timeline
from .sections import section_cards, section_matrix, section_summary, section_table


CSS = """
:root{--fg:#1d2330;--muted:#6b7385;--line:#dde1e8;--bg:#f5f6f8;--card:#fff;--accent:#24408e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2a4d;color:#fff;padding:18px 28px 14px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .meta{color:#c5cde3;font-size:12.5px}
main{padding:10px 28px 40px;max-width:1400px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px;color:var(--accent)}
h3{font-size:14.5px;margin:4px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0 0}
.card{background:var(--card);border:1px solid var(--line);border-top:4px solid var(--accent);border-radius:8px;padding:8px 14px;min-width:118px}
.card .v{font-size:22px;font-weight:650}
.card .l{font-size:12px;color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse}
.matrix th,.matrix td{border:1px solid var(--line);padding:6px 9px;text-align:center;min-width:92px}
.matrix th.corner{font-weight:500;font-size:11.5px;color:var(--muted);text-align:left}
.matrix th.dz{font-size:12.5px;vertical-align:bottom}
.matrix th.sz{text-align:right;font-size:12.5px;white-space:nowrap}
.matrix td.cell{height:46px}
.matrix td.diag{background-image:repeating-linear-gradient(135deg,transparent 0 6px,rgba(0,0,0,.045) 6px 8px)}
.matrix td.flowonly{background-color:#e8eef8}
.matrix td.light{color:#fff}
.matrix .na{font-weight:700;font-size:15px}
.matrix .u{font-size:11px}
.matrix .nf{font-size:11px;color:inherit;opacity:.8}
.matrix .none{color:#c0c4cc}
.matrix .tot{background:#fafbfc;font-size:12.5px}
.legend{font-size:12px;color:var(--muted);margin-top:8px;display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px}
.legend .sw{display:inline-block;width:14px;height:14px;border:1px solid var(--line);margin-right:3px;vertical-align:middle}
.legend .sw.flowonly{background:#e8eef8}
.legend .sw.diag{background-image:repeating-linear-gradient(135deg,transparent 0 3px,rgba(0,0,0,.15) 3px 4px)}
.legend .dot{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:3px;vertical-align:middle}
svg.timeline{display:block;width:100%;height:auto;font-family:inherit}
svg .lane{fill:#f3f5f9}
svg .grid{stroke:#d7dbe3;stroke-width:1}
svg .tick{font-size:11px;fill:#6b7385}
svg .lanel{font-size:12px;fill:#1d2330}
svg circle.m{stroke:#fff;stroke-width:1;fill-opacity:.9}
svg circle.m:hover{stroke:#000;stroke-width:1.5}
svg rect.m{fill-opacity:.9}svg rect.m:hover{stroke:#000;stroke-width:1}
.sumgrid{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px}
.sumgrid .wide{grid-column:1 / -1}
table.sum{width:100%;font-size:13px}
table.sum th,table.sum td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
.num{text-align:right!important;font-variant-numeric:tabular-nums}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12px;white-space:nowrap}
.muted{color:var(--muted);font-weight:400}
.sev{display:inline-block;min-width:20px;padding:0 5px;border-radius:9px;color:#fff;font-weight:700;font-size:12px;text-align:center}
.sev.s1{background:#d32f2f}.sev.s2{background:#f2a900;color:#1d2330}.sev.s3{background:#0097a7}.sev.s4{background:#9e9e9e}
a.tech{color:#24408e;text-decoration:none;border-bottom:1px dotted #24408e;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;white-space:nowrap}
a.tech:hover{background:#e8eef8}
table.alerts{width:100%;font-size:12.5px}
table.alerts th{position:sticky;top:0;background:#eef1f6;text-align:left;padding:6px;border-bottom:2px solid var(--line)}
table.alerts td{padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top}
table.alerts tr.r1 td:first-child{box-shadow:inset 3px 0 #d32f2f}
table.alerts tr.r2 td:first-child{box-shadow:inset 3px 0 #f2a900}
table.alerts tr.r3 td:first-child{box-shadow:inset 3px 0 #0097a7}
table.alerts .sig{color:var(--muted);font-size:11.5px}
table.alerts .ev{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:11.5px;word-break:break-word;max-width:340px}
.pol{font-size:10.5px;padding:0 4px;border-radius:3px;border:1px solid}
.pol.deny{color:#b71c1c;border-color:#e6a3a3}.pol.allow{color:#2e7d32;border-color:#a5d6a7}
.arr{color:var(--muted)}
th.sortable-h{cursor:pointer;user-select:none;white-space:nowrap}
th.sortable-h:hover{color:var(--accent)}
th.asc:after{content:" \\25B2";color:var(--accent);font-size:10px}th.desc:after{content:" \\25BC";color:var(--accent);font-size:10px}
.tools{display:flex;gap:12px;align-items:center;margin:0 0 8px}
.tools input{flex:0 1 420px;padding:5px 8px;border:1px solid var(--line);border-radius:5px;font:inherit}
.tools span{color:var(--muted);font-size:12px}
.note{background:#fff6e0;border:1px solid #f0d48a;border-radius:6px;padding:6px 10px;font-size:13px}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}.tools{display:none}}
"""

JS = """
(function(){
  function key(td){var k=td.getAttribute('data-k');if(k!==null&&k!==''){var n=parseFloat(k);if(!isNaN(n))return n;}
    var t=td.textContent.trim();var n2=parseFloat(t.replace(/[\\s\\u202f,x]/g,''));return (/^x?[\\d\\s\\u202f,.]+$/.test(t)&&!isNaN(n2))?n2:t.toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(tb){
    var ths=tb.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,ci){
      th.classList.add('sortable-h');
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('asc');
        Array.prototype.forEach.call(ths,function(h){h.classList.remove('asc','desc');});
        th.classList.add(asc?'asc':'desc');
        var body=tb.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=key(a.cells[ci]),y=key(b.cells[ci]);
          if(typeof x!==typeof y){x=String(x);y=String(y);}
          return (x<y?-1:x>y?1:0)*(asc?1:-1);});
        var f=document.createDocumentFragment();rows.forEach(function(r){f.appendChild(r);});body.appendChild(f);
      });
    });
  });
  var inp=document.getElementById('filter'),tbl=document.getElementById('alert-table'),cnt=document.getElementById('shown');
  if(inp&&tbl){inp.addEventListener('input',function(){
    var q=inp.value.toLowerCase(),n=0;
    Array.prototype.forEach.call(tbl.tBodies[0].rows,function(r){
      var ok=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=ok?'':'none';if(ok)n++;});
    cnt.textContent=n+' rows';});}
})();
"""


def render(d, title, lanes_by, max_rows):
    al = d.alerts
    ts = [a.t for a in al if a.t is not None]
    rng = ""
    if ts:
        rng = "%s \u2192 %s (%s)" % (fmt_time(min(ts), d.tz, True), fmt_time(max(ts), d.tz, True), tz_label(d.tz))
    hosts = sorted({a.host for a in al if a.host})
    meta = ["%s alerts" % fmt_int(len(al))]
    if d.incidents:
        meta.append("%s incident%s" % (fmt_int(len(d.incidents)), "" if len(d.incidents) == 1 else "s"))
    if d.have_flows:
        meta.append("%s flows" % fmt_int(d.nflows))
    if rng:
        meta.append(rng)
    if hosts:
        meta.append("sensor%s: %s" % ("s" if len(hosts) > 1 else "", ", ".join(hosts[:6])
                                      + (" \u2026" if len(hosts) > 6 else "")))
    gen = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lanes = ["detector", "tactic"] if lanes_by == "both" else [lanes_by]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="vigie report">',
        "<title>%s</title>" % esc(title),
        "<style>%s%s</style></head><body>" % (CSS, INCIDENT_CSS),
        '<header><h1>%s</h1><div class="meta">%s</div></header><main>' % (
            esc(title), esc(" \u00b7 ".join(meta))),
        section_cards(d),
    ]
    inc = section_incidents(d)
    if inc:
        merged = sum(1 for i in d.incidents.values() if i.state == "merged")
        parts.append('<section id="incidents"><h2>Incidents: attack paths (%d%s)</h2>%s</section>' % (
            len(d.incidents) - merged, " + %d merged" % merged if merged else "", inc))
    parts += [
        '<section id="matrix"><h2>Zone-to-zone matrix</h2>%s</section>' % section_matrix(d),
    ]
    for lb in lanes:
        parts.append('<section id="timeline%s"><h2>Attack timeline%s</h2>%s</section>' % (
            "" if len(lanes) == 1 else "-" + lb, "" if len(lanes) == 1 else " by " +
            ("ATT&amp;CK tactic" if lb == "tactic" else "detector"), section_timeline(d, lb)))
    parts += [
        '<section id="summary"><h2>Summary</h2>%s</section>' % section_summary(d),
        '<section id="alerts"><h2>Alerts (%s)</h2>%s</section>' % (fmt_int(len(al)), section_table(d, max_rows)),
        "</main><footer>Generated %s by vigie report from %s.%s Technique ids link to attack.mitre.org."
        "</footer>" % (esc(gen), esc(", ".join(d.sources) or "no input"),
                       " %s input lines were not JSON objects and were skipped." % fmt_int(d.skipped)
                       if d.skipped else ""),
        "<script>%s</script></body></html>" % JS,
    ]
    return "\n".join(parts) + "\n"
