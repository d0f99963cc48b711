package report

import "html/template"

// pageTemplate is the page: no script, no external resource.
var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px; padding: 1.2em 1.5em 3em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; margin: 0.2em 0 0; }
.sub { color: #666; margin: 0.2em 0 1em; font-size: 0.95em; word-break: break-all; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.glance { background: #f3f7fc; border: 1px solid #c9d9ee; border-radius: 8px; padding: 0.8em 1.1em; }
.glance dt { font-weight: 600; color: #1f4e8c; margin-top: 0.4em; }
.glance dd { margin: 0.1em 0 0.3em 0; font-size: 1.05em; }
nav { font-size: 0.92em; margin: 1em 0; }
nav a { margin-right: 1em; }
pre, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; }
pre { background: #f6f6f6; border: 1px solid #e2e2e2; border-radius: 6px; padding: 0.7em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; font-size: 0.86em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.55em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { max-height: 32em; overflow: auto; border: 1px solid #eee; }
table.kv td:first-child { font-family: ui-monospace, monospace; white-space: nowrap; }
.note { color: #666; font-size: 0.88em; }
figure { margin: 1em 0 2em; }
figure svg, figure img { width: 100%; max-width: 900px; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: #666; font-size: 0.85em; }
footer { margin-top: 3em; color: #888; font-size: 0.85em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="sub">{{.Subtitle}}{{if .Generated}} &middot; finished {{.Generated}}{{end}}</p>
{{if .Glance}}<dl class="glance">{{range .Glance}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
{{if .Command}}<h2 id="command">Command line</h2>
<p class="note">The command that reruns this, every option spelled out (defaults included), then its short form.</p>
{{range .Command}}<pre>{{.}}</pre>{{end}}{{end}}
<nav>{{range .Sections}}<a href="#{{.ID}}">{{.Title}}</a> {{end}}</nav>
{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{if .Text}}<p class="note">{{.Text}}</p>{{end}}
{{range .Figures}}<figure>{{if .SVG}}{{.SVG}}{{else}}<img src="{{.PNGData}}" alt="{{.Name}}">{{end}}<figcaption>{{.Name}}</figcaption></figure>{{end}}
{{if .KVs}}<table class="kv">{{range .KVs}}<tr><td>{{.Key}}</td><td>{{if .Link}}<a href="{{.Link}}">{{.Value}}</a>{{else}}{{.Value}}{{end}}</td></tr>{{end}}</table>{{end}}
{{with .Table}}<div class="scroll"><table><thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num"{{end}}>{{if .Link}}<a href="{{.Link}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>{{if .Note}}<p class="note">{{.Note}}</p>{{end}}{{end}}
{{if .Pre}}<pre>{{.Pre}}</pre>{{end}}
</section>
{{end}}
<footer>Written by mbrl report. Self-contained: no network, no scripts; every plot is inline SVG.</footer>
</body>
</html>
`))
