// The console's one stylesheet (/assets/console.css): system fonts only, light and dark from
// prefers-color-scheme, readable at 375 px (tables scroll inside their section, never the page), visible
// keyboard focus, chart colours as classes c0…c7 with a dark variant each.
export const CONSOLE_CSS = `
:root{--bg:#f6f7f9;--fg:#1d2330;--muted:#5b6472;--card:#fff;--line:#dde1e6;--accent:#0b6bcb;--bad:#b42318;--good:#067647;--warn-bg:#fff3cd;--warn-fg:#664d03;--err-bg:#f8d7da;--err-fg:#58151c;--code:#eef0f3;
--c0:#2f6fd6;--c1:#e07b24;--c2:#2e9e5b;--c3:#c23b4e;--c4:#7c5cc4;--c5:#12a3a3;--c6:#a6792b;--c7:#7a8699;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e9ee;--muted:#9aa3b0;--card:#1a1f26;--line:#2c333d;--accent:#6cb0ff;--bad:#ff8a80;--good:#6fd39a;--warn-bg:#3a3010;--warn-fg:#f3d98b;--err-bg:#3d1a1d;--err-fg:#ffb4ab;--code:#232a33;
--c0:#6ea2ff;--c1:#ffab5e;--c2:#5fd08e;--c3:#ff7a8a;--c4:#b39bff;--c5:#4fd6d6;--c6:#e0b35e;--c7:#a5b0c0}}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:var(--bg);color:var(--fg);overflow-wrap:anywhere}
a{color:var(--accent)}code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);border-radius:4px}
code{padding:0 .25em}pre{padding:.4em .6em;margin:.25em 0;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5em;top:.5em;background:var(--card);padding:.4em;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.6em 1em;background:#1d2330;color:#fff}
header.top a{color:#cfe3ff;text-decoration:none;margin-right:.8em}header.top a[aria-current]{color:#fff;font-weight:600;text-decoration:underline}
.brand{font-size:1.1em}.live{margin-left:auto;font-size:.85em;color:#cfd6e0}.live.up::before{content:"● ";color:#5fd08e}.live.down::before{content:"● ";color:#ff8a80}
main{padding:0 .8em 2em;max-width:1200px;margin:0 auto}
h1{font-size:1.25em;margin:.8em 0 .3em}h2{font-size:1.02em;margin:.3em 0}.n{color:var(--muted);font-weight:normal}
section{margin:.9em 0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5em .8em;min-width:0}
.scroll{overflow-x:auto;max-width:100%}.scroll table{min-width:36em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .45em;border-top:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
th{color:var(--muted);font-weight:600;font-size:.9em}
.none,.hint,.note,footer{color:var(--muted)}.hint{font-size:.88em;margin-left:.5em}.note{margin:.5em .8em}
.status{display:flex;flex-wrap:wrap;gap:.4em 1.5em;margin:.6em 0}.daemon.down{color:var(--bad)}
.banner{padding:.55em .9em;border-radius:6px;margin:.5em 0}.pause{background:var(--warn-bg);color:var(--warn-fg)}.error{background:var(--err-bg);color:var(--err-fg)}
.controls{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;margin:.5em 0}.controls form{display:flex;flex-wrap:wrap;gap:.4em;align-items:center}
button,select,textarea{font:inherit;color:inherit;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.35em .75em;min-height:2.2em}
button{cursor:pointer;font-weight:600}button:hover:not(:disabled){border-color:var(--accent)}button:disabled{opacity:.5;cursor:not-allowed}
button.cancel,button.release{color:var(--bad)}button.retry{color:var(--good)}
.message{display:grid;gap:.35em;margin:.6em 0}.message textarea{width:100%;max-width:46em}.message button{justify-self:start}
.toast{position:sticky;top:0;z-index:5;margin:0 .8em}.toast:not(:empty){background:var(--card);border:1px solid var(--accent);border-radius:6px;padding:.45em .8em;margin-top:.5em}
.toast.bad{border-color:var(--bad);color:var(--bad)}
.failed h2,.bad{color:var(--bad)}a.pr{word-break:break-all}.self{color:var(--muted)}
.lane.urgent{color:var(--bad);font-weight:600}.lane.background{color:var(--muted)}
.activity{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
q.words{display:block;color:var(--muted);font-style:italic;margin-top:.2em}
meter{width:14em;max-width:100%;height:1.1em}
.st{font-weight:600}.counted{color:var(--bad);font-size:.85em}
ol.timeline{list-style:none;padding:0;margin:.3em 0}ol.timeline li{padding:.25em 0;border-top:1px solid var(--line)}ol.timeline time{color:var(--muted);font-size:.85em;margin-right:.5em}
li.good{color:var(--good)}li.operator q{font-style:italic}
.transcript{max-height:70vh;overflow-y:auto;border:1px solid var(--line);border-radius:6px;padding:.3em .6em;background:var(--bg)}
.ln{padding:.2em 0;border-bottom:1px dashed var(--line)}.ln .say{white-space:pre-wrap}.ln.session,.ln.notice{color:var(--muted);font-size:.88em}
.ln.error{color:var(--bad);font-weight:600}.ln.result{color:var(--good)}.ln.operator{background:var(--warn-bg);color:var(--warn-fg);padding:.3em .5em;border-radius:4px}
.ln .tool{font-weight:600;color:var(--accent)}.ln summary{cursor:pointer}.ln.tool_result{color:var(--muted)}
.badge{font-size:.75em;padding:.1em .5em;border-radius:1em;background:var(--good);color:var(--card);vertical-align:middle}
.jump{position:sticky;bottom:.5em;margin-top:.4em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30em),1fr));gap:.8em}
figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5em .7em;min-width:0}
figure.chart figcaption{font-weight:600;margin-bottom:.3em}figure.chart svg{width:100%;height:auto;display:block}
svg .ax{fill:var(--muted);font-size:11px}svg .grid{stroke:var(--line);stroke-width:1}svg .line{stroke-width:2}
.c0{fill:var(--c0);stroke:var(--c0)}.c1{fill:var(--c1);stroke:var(--c1)}.c2{fill:var(--c2);stroke:var(--c2)}.c3{fill:var(--c3);stroke:var(--c3)}
.c4{fill:var(--c4);stroke:var(--c4)}.c5{fill:var(--c5);stroke:var(--c5)}.c6{fill:var(--c6);stroke:var(--c6)}.c7{fill:var(--c7);stroke:var(--c7)}
rect[class^=c]{stroke:none}polyline.line{fill:none}
ul.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.88em}.sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em;background:currentColor}
.sw.c0{color:var(--c0)}.sw.c1{color:var(--c1)}.sw.c2{color:var(--c2)}.sw.c3{color:var(--c3)}.sw.c4{color:var(--c4)}.sw.c5{color:var(--c5)}.sw.c6{color:var(--c6)}.sw.c7{color:var(--c7)}
details.data summary{color:var(--muted);font-size:.85em;cursor:pointer}
@media (max-width:600px){body{font-size:14px}header.top{gap:.5em}main{padding:0 .4em 2em}section{padding:.4em .5em}.hint{display:block;margin:.2em 0}}
`;
