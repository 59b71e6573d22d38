/**
 * The one stylesheet of the web pages, served at `/assets/app.css`. Hand-written: a violet
 * accent over warm neutrals, an amber highlight for progress, rounded covers in grids, a dark
 * scheme, and layouts that hold at 390 px. Colours are chosen for WCAG AA contrast in both
 * schemes (text ≥ 4.5:1 on its background).
 */
export const STYLESHEET = `
:root{
  --bg:#faf8f5;--surface:#ffffff;--surface-2:#f1ede7;--text:#1f1b24;--muted:#595262;
  --line:#e0d9cf;--accent:#5b34c2;--accent-text:#ffffff;--accent-soft:#ece6fb;
  --amber:#b35c00;--danger:#b3261e;--danger-soft:#fdecea;--ok:#1d6b3c;--ok-soft:#e6f4ea;
  --focus:#1a5fd0;--radius:12px;--shadow:0 1px 2px rgba(31,27,36,.08),0 4px 16px rgba(31,27,36,.06);
  color-scheme:light dark;
}
@media (prefers-color-scheme:dark){
  :root{
    --bg:#16131b;--surface:#201c27;--surface-2:#2a2533;--text:#efeaf6;--muted:#b3abc0;
    --line:#3a3345;--accent:#b7a2ff;--accent-text:#16131b;--accent-soft:#2f2746;
    --amber:#ffb454;--danger:#ff8a80;--danger-soft:#3a1f22;--ok:#7bd59a;--ok-soft:#1c3326;
    --focus:#8cb4ff;--shadow:none;
  }
}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:4px}
img{max-width:100%}
.skip{position:absolute;left:-999px;top:0;background:var(--surface);padding:.5rem 1rem;z-index:10}
.skip:focus{left:1rem}
.site-header{background:var(--surface);border-bottom:1px solid var(--line)}
.site-header .bar{max-width:64rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;font-size:1.1rem;color:var(--text);text-decoration:none;margin-right:auto}
.brand svg{width:32px;height:32px;flex:none}
.nav{display:flex;flex-wrap:wrap;align-items:center;gap:.15rem .2rem;margin:0;padding:0;list-style:none}
.nav a,.nav button{display:inline-flex;align-items:center;min-height:2.25rem;padding:.25rem .6rem;border-radius:999px;color:var(--text);text-decoration:none;font:inherit;font-size:.95rem;background:none;border:0;margin:0;cursor:pointer;line-height:1.2}
.nav a:hover,.nav button:hover{background:var(--surface-2)}
.nav a[aria-current=page]{background:var(--accent-soft);color:var(--text);font-weight:600}
.nav form{display:inline;margin:0}
.subnav{max-width:64rem;margin:0 auto;padding:0 1rem .5rem}
main{max-width:64rem;margin:0 auto;padding:1rem 1rem 3rem}
main.narrow{max-width:40rem}
h1{font-size:1.7rem;line-height:1.2;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:1rem 0 .4rem}
p{margin:.5rem 0}
.muted,.hint{color:var(--muted)}
.hint{font-size:.9rem}
.small{font-size:.9rem}
.card{background:var(--surface);border:1px solid var(--line);border-radius:var(--radius);padding:1rem;box-shadow:var(--shadow)}
.stack>*+*{margin-top:.75rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.spread{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}
label{display:block;margin-top:.75rem;font-weight:600}
.inline-label{display:inline;margin:0;font-weight:400}
input[type=text],input[type=password],input[type=email],input[type=url],input[type=search],input[type=number],input[type=file],select,textarea{
  width:100%;max-width:100%;padding:.55rem .7rem;font:inherit;color:var(--text);background:var(--surface);border:1px solid var(--muted);border-radius:8px}
select{width:auto;padding:.35rem .5rem}
input[aria-invalid=true]{border-color:var(--danger);border-width:2px}
button,.button{display:inline-flex;align-items:center;justify-content:center;gap:.35rem;min-height:2.5rem;padding:.45rem 1rem;margin-top:1rem;font:inherit;font-weight:600;border-radius:999px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-text);cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:transparent;color:var(--accent)}
button.danger,.button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
@media (prefers-color-scheme:dark){button.danger,.button.danger{color:#16131b}}
button.small,.button.small{min-height:2rem;padding:.2rem .75rem;margin-top:0;font-size:.9rem}
button.link{margin:0;padding:0;min-height:0;border:0;background:none;color:var(--accent);text-decoration:underline;font-weight:400}
form.inline{display:inline;margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-top:.75rem}
.actions button,.actions .button{margin-top:0}
.error{color:var(--danger);font-weight:600}
.alert{border-radius:var(--radius);padding:.75rem 1rem;margin:1rem 0;border:1px solid}
.alert.error{background:var(--danger-soft);border-color:var(--danger)}
.notice,.alert.ok{background:var(--ok-soft);border:1px solid var(--ok);color:var(--text);border-radius:var(--radius);padding:.75rem 1rem;margin:1rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
code.token{display:block;word-break:break-all;background:var(--surface-2);padding:.5rem;border-radius:8px}
ul.scopes li{margin:.25rem 0}
img.app{max-width:64px;max-height:64px;vertical-align:middle}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.9rem;color:var(--muted)}
@media (max-width:40rem){
  table.responsive thead{position:absolute;left:-9999px}
  table.responsive tr{display:block;border-bottom:1px solid var(--line);padding:.5rem 0}
  table.responsive td{display:block;border:0;padding:.15rem 0}
  table.responsive td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.85rem}
}
.cover{display:block;width:100%;aspect-ratio:1/1;object-fit:cover;border-radius:10px;background:var(--surface-2)}
.cover.small{width:56px;height:56px;flex:none}
.cover.medium{width:96px;height:96px;flex:none}
.cover.large{width:min(220px,100%);height:auto}
.cover-placeholder{display:flex;align-items:center;justify-content:center;color:var(--muted);border:1px solid var(--line)}
.cover-placeholder svg{width:45%;height:45%}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:1rem;list-style:none;margin:0;padding:0}
.grid li{min-width:0}
.grid .title{display:block;font-weight:600;margin-top:.4rem;line-height:1.3}
.list{list-style:none;margin:0;padding:0}
.list>li{display:flex;gap:.75rem;align-items:flex-start;padding:.75rem 0;border-bottom:1px solid var(--line)}
.list>li>.grow{flex:1;min-width:0}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:.05rem .5rem;border-radius:999px;background:var(--surface-2);color:var(--text);border:1px solid var(--line)}
.badge.public{background:var(--ok-soft);border-color:var(--ok)}
.badge.private{background:var(--danger-soft);border-color:var(--danger)}
.badge.progress{border-color:var(--amber)}
progress{width:100%;height:.5rem;accent-color:var(--amber)}
audio{width:100%;margin:.75rem 0}
.podcast-head{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.podcast-head>div{flex:1;min-width:14rem}
.description{max-width:45rem}
details.confirm{display:inline-block}
details.confirm>summary{list-style:none;cursor:pointer;display:inline-flex;align-items:center;min-height:2rem;padding:.2rem .75rem;border-radius:999px;border:1px solid var(--danger);color:var(--danger);font-weight:600;font-size:.9rem}
details.confirm>summary::-webkit-details-marker{display:none}
details.confirm[open]>summary{background:var(--danger-soft)}
details.confirm .confirm-box{margin-top:.5rem;padding:.75rem;border:1px solid var(--danger);border-radius:var(--radius);background:var(--surface)}
.pager{display:flex;justify-content:space-between;gap:1rem;margin-top:1.5rem}
.hero{padding:2rem 0 1rem}
.hero p{font-size:1.1rem;max-width:38rem}
.drag-handle{cursor:grab}
li.dragging{opacity:.5}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
footer.site-footer{max-width:64rem;margin:0 auto;padding:1rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line)}
/* Public pages: /discover, /timeline, /u/{username} (public_pages.tsx) */
.filters{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:flex-end;margin:1rem 0}
.filters>div{min-width:0;max-width:100%}
.filters label{margin-top:.25rem}
.filters select{max-width:100%}
.filters .actions{margin-top:.25rem}
.empty{color:var(--muted);padding:1rem;border:1px dashed var(--line);border-radius:var(--radius)}
.grid li>.small{display:block}
.grid li p{margin:.2rem 0}
.card.playlist{margin:1rem 0}
.card.playlist .list>li:last-child{border-bottom:0}
/* Saved, playlists, privacy, account, tokens (web-settings) */
.nav button{font-weight:inherit}
.item-title{margin:0;font-weight:600;line-height:1.3}
.item-title a{overflow-wrap:anywhere}
label.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}
label.check input{margin-top:.3rem;flex:none}
textarea{min-height:5rem;resize:vertical}
.narrow-form{max-width:32rem}
.playlist-items>li{align-items:center}
.playlist-items .drag-handle{display:none;font-size:1.3rem;color:var(--muted);padding:0 .25rem;user-select:none}
.playlist-items.dnd .drag-handle{display:block}
.playlist-items.dnd>li[draggable=true]{cursor:grab}
form[hidden]{display:none}
details.confirm .confirm-box select{max-width:100%}
details.confirm .confirm-box{max-width:100%}
details.confirm{max-width:100%}
td details.confirm .confirm-box{min-width:min(16rem,80vw)}
`;
