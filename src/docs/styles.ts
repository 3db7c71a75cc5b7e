import { consoleStyles } from "../console/styles";

/** The console's stylesheet and a two-column layout: contents beside the reference, stacked when narrow. */
export const docsStyles = `${consoleStyles}
.docs { display: flex; gap: 1rem; align-items: flex-start; max-width: 80rem; margin: 0 auto; }
.contents { position: sticky; top: 0; max-height: 100vh; overflow-y: auto; flex: 0 0 18rem; padding: 1rem; font-size: 0.9rem; }
.contents ul { display: block; list-style: none; margin: 0; padding: 0 0 0 0.75rem; }
.contents > ul { padding: 0; }
.contents a { color: #1f2a44; }
.docs main { flex: 1 1 auto; min-width: 0; max-width: 56rem; }
.operation { scroll-margin-top: 1rem; }
.operation h3 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.operation h3 a { color: inherit; text-decoration: none; }
.operation h3 a:hover, .operation h3 a:focus-visible { text-decoration: underline; }
h4 { font-size: 0.95rem; margin: 1rem 0 0.25rem; }
.summary { font-weight: 600; }
.method { display: inline-block; min-width: 4.2rem; text-align: center; border-radius: 4px; padding: 0 0.4rem; color: #fff; background: #1f2a44; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.method-get { background: #1d5e9e; } .method-post { background: #2e6b30; } .method-delete { background: #a12a22; }
.method-patch, .method-put { background: #7a4f00; }
.method-text { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.8rem; }
ul.codes { margin: 0; padding-left: 1rem; }
dt { font-weight: 600; }
dd { margin: 0 0 0.5rem 1rem; }
@media (max-width: 60rem) { .docs { display: block; } .contents { position: static; max-height: none; } }
`;
