/// The web UI's Mustache templates, stylesheet and script, compiled into the binary (no CDN, no files
/// to ship). `{{value}}` escapes; `{{{fragment}}}` is used only for HTML built by ``Charts``,
/// ``WordDiff`` or another template.
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Assay</title>
        <link rel="stylesheet" href="/static/assay.css">
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <nav aria-label="Breadcrumbs"><a class="brand" href="/">Assay</a>{{#crumbs}} <span aria-hidden="true">›</span> {{#href}}<a href="{{href}}">{{label}}</a>{{/href}}{{^href}}<span aria-current="page">{{label}}</span>{{/href}}{{/crumbs}}</nav>
        {{#signedIn}}<form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button class="link">Sign out</button></form>{{/signedIn}}
        </header>
        <main id="main">
        {{{content}}}
        </main>
        <script src="/static/assay.js" defer></script>
        </body>
        </html>
        """

    static let login = """
        <h1>Sign in</h1>
        <p>This server needs its access token (the value of <code>--auth-token</code> or <code>ASSAY_SERVER_TOKEN</code>).</p>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/login" class="stack">
        <input type="hidden" name="next" value="{{next}}">
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Sign in</button>
        </form>
        """

    static let experiments = """
        <h1>Experiments</h1>
        {{#hasExperiments}}
        <table class="data">
        <thead><tr><th scope="col">Name</th><th scope="col">ID</th><th scope="col" class="num">Runs</th><th scope="col">Last run started</th></tr></thead>
        <tbody>
        {{#experiments}}<tr><td><a href="/experiments/{{id}}">{{name}}</a></td><td class="mono">{{id}}</td><td class="num">{{runs}}</td><td>{{last}}</td></tr>
        {{/experiments}}
        </tbody>
        </table>
        {{/hasExperiments}}
        {{^experiments}}<p>No experiments yet. Every <code>assay evaluate</code> records a run.</p>{{/experiments}}
        """

    static let runs = """
        <h1>{{name}}</h1>
        <p class="muted">Experiment {{id}} · {{count}} active runs · <a href="/experiments/{{id}}/traces">traces</a>{{#deleted}} · <a href="{{deleted}}">show deleted runs</a>{{/deleted}} · <a href="{{columnsHref}}">{{columnsLabel}}</a></p>
        <form method="get" class="filter" role="search">
        <label for="filter">Filter runs</label>
        <input id="filter" name="filter" value="{{filter}}" placeholder="metrics.`exact_match/v1` &gt; 0.5 and params.model = 'gpt'" size="64">
        {{#order}}<input type="hidden" name="order" value="{{order}}">{{/order}}
        <button type="submit">Apply</button>
        {{#hasFilterText}}<a href="/experiments/{{id}}">Clear</a>{{/hasFilterText}}
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="get" action="/compare" id="compare-form">
        <div class="scroll">
        <table class="data runs">
        <thead><tr>
        {{#headers}}<th scope="col"{{#sort}} aria-sort="{{sort}}"{{/sort}} class="{{#numeric}}num{{/numeric}}{{#first}} sticky{{/first}}"{{#title}} title="{{title}}"{{/title}}>{{#href}}<a href="{{href}}">{{{html}}}</a>{{/href}}{{^href}}{{{html}}}{{/href}}{{#arrow}} <span aria-hidden="true">{{arrow}}</span>{{/arrow}}</th>{{/headers}}
        </tr></thead>
        <tbody>
        {{#runs}}<tr><th scope="row" class="sticky run-name"><input type="checkbox" name="runs" value="{{id}}" aria-label="Compare {{name}}"> <a href="/runs/{{id}}">{{name}}</a></th><td><span class="status {{status}}">{{status}}</span></td><td class="num nowrap">{{duration}}</td><td class="wrap">{{model}}</td><td class="nowrap">{{started}}</td>{{#metrics}}<td class="num">{{.}}</td>{{/metrics}}</tr>
        {{/runs}}
        </tbody>
        </table>
        </div>
        {{^runs}}<p>No runs match.</p>{{/runs}}
        <p><button type="submit">Compare selected runs (2 to 5)</button> <span class="muted" id="compare-count" aria-live="polite"></span> · download these runs as <a href="{{csv}}" download>CSV</a> or <a href="{{json}}" download>JSON</a></p>
        </form>
        <nav class="pager" aria-label="Pages">{{#previous}}<a href="{{previous}}">← Newer</a>{{/previous}} {{#next}}<a href="{{next}}">Older →</a>{{/next}}</nav>
        {{#hasRuns}}{{#charts}}<details class="charts-panel"{{#open}} open{{/open}}><summary>Charts of these runs</summary>
        <form method="get" class="filter" action="#charts">
        {{#filter}}<input type="hidden" name="filter" value="{{filter}}">{{/filter}}{{#order}}<input type="hidden" name="order" value="{{order}}">{{/order}}
        <label for="chart">Chart</label> <select id="chart" name="chart">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select>
        <fieldset class="metric-picks"><legend>{{hint}}</legend>{{#metricOptions}}<label class="pick"><input type="checkbox" name="m" value="{{name}}"{{#checked}} checked{{/checked}}> {{name}}</label>{{/metricOptions}}</fieldset>
        <button type="submit">Draw</button>
        </form>
        <div id="charts" class="chart-wide">{{{svg}}}</div>
        </details>{{/charts}}{{/hasRuns}}
        """

    static let run = """
        <h1>{{name}} <span class="status {{status}}">{{status}}</span>{{#deleted}} <span class="status DELETED">deleted</span>{{/deleted}}</h1>
        <dl class="facts">
        <dt>Run ID</dt><dd class="mono">{{id}}</dd>
        <dt>Experiment</dt><dd><a href="/experiments/{{experimentID}}">{{experimentName}}</a></dd>
        <dt>Started</dt><dd>{{started}}</dd>
        <dt>Duration</dt><dd>{{duration}}</dd>
        <dt>User</dt><dd>{{user}}</dd>
        <dt>Artifacts</dt><dd class="mono">{{artifactURI}}</dd>
        {{#tracesHref}}<dt>Evaluated</dt><dd><a href="{{tracesHref}}">the traces of {{tracesName}}</a> (each row's trace_id links to its trace)</dd>{{/tracesHref}}
        </dl>
        <form method="post" action="/runs/{{id}}/{{lifecycleAction}}" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary">{{lifecycleLabel}}</button></form>
        <section aria-labelledby="metrics-h"><h2 id="metrics-h">Metrics</h2>
        {{#hasMetrics}}<table class="data compact"><thead><tr><th scope="col">Key</th><th scope="col" class="num">Value</th><th scope="col" class="num">Step</th><th scope="col">Better</th></tr></thead><tbody>
        {{#metrics}}<tr><td class="mono">{{key}}</td><td class="num">{{value}}</td><td class="num">{{step}}</td><td>{{direction}}</td></tr>{{/metrics}}
        </tbody></table>{{/hasMetrics}}{{^metrics}}<p class="muted">None.</p>{{/metrics}}
        {{#hasCharts}}<div class="charts">{{#charts}}<figure>{{{svg}}}<figcaption class="mono">{{key}}</figcaption></figure>{{/charts}}</div>{{/hasCharts}}
        </section>
        <div class="columns">
        <section aria-labelledby="params-h"><h2 id="params-h">Params</h2>
        {{#hasParams}}<table class="data compact"><tbody>{{#params}}<tr><th scope="row" class="mono">{{key}}</th><td class="wrap">{{value}}</td></tr>{{/params}}</tbody></table>{{/hasParams}}{{^params}}<p class="muted">None.</p>{{/params}}
        </section>
        <section aria-labelledby="tags-h"><h2 id="tags-h">Tags</h2>
        {{#hasTags}}<table class="data compact"><tbody>{{#tags}}<tr><th scope="row" class="mono">{{key}}</th><td class="wrap">{{value}}</td></tr>{{/tags}}</tbody></table>{{/hasTags}}{{^tags}}<p class="muted">None.</p>{{/tags}}
        {{#hasDatasets}}<h3>Datasets</h3><ul>{{#datasets}}<li>{{name}} <span class="mono muted">{{digest}}</span> {{source}}</li>{{/datasets}}</ul>{{/hasDatasets}}
        </section>
        </div>
        <section aria-labelledby="artifacts-h"><h2 id="artifacts-h">Artifacts</h2>
        {{#hasArtifacts}}<ul class="files">{{#artifacts}}<li><a href="{{view}}">{{path}}</a> <span class="muted">{{size}}</span> · <a href="{{download}}" download>download</a></li>{{/artifacts}}</ul>{{/hasArtifacts}}
        {{#artifactsError}}<p class="error">{{artifactsError}}</p>{{/artifactsError}}
        {{^artifacts}}{{^artifactsError}}<p class="muted">None.</p>{{/artifactsError}}{{/artifacts}}
        </section>
        {{#runTraces}}<section aria-labelledby="run-traces-h"><h2 id="run-traces-h">Traces of this run <span class="muted">({{count}}{{#more}}, the first shown{{/more}})</span></h2>
        <div class="scroll"><table class="data"><thead><tr><th scope="col">Trace</th><th scope="col">Status</th><th scope="col">Input</th><th scope="col">Output</th>{{#names}}<th scope="col" class="mono">{{.}}</th>{{/names}}</tr></thead><tbody>
        {{#rows}}<tr><td><a href="/traces/{{id}}">{{name}}</a></td><td><span class="status {{status}}">{{status}}</span></td><td class="wrap">{{input}}</td><td class="wrap">{{output}}</td>{{#scores}}<td class="wrap{{#numeric}} num{{/numeric}}" title="{{why}}">{{value}}</td>{{/scores}}</tr>{{/rows}}
        </tbody></table></div></section>{{/runTraces}}
        {{#table}}{{{table}}}{{/table}}
        """

    static let evaluationTable = """
        <section aria-labelledby="table-h"><h2 id="table-h">Evaluation table <span class="muted mono">{{file}}</span></h2>
        {{#hasTables}}<p>Tables: {{#tables}}<a href="{{href}}"{{#current}} aria-current="true"{{/current}}>{{name}}</a> {{/tables}}</p>{{/hasTables}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#warning}}<p class="warning" role="note">{{warning}}</p>{{/warning}}
        {{#hasHistograms}}<div class="charts">{{#histograms}}<figure>{{{svg}}}</figure>{{/histograms}}</div>{{/hasHistograms}}
        <form method="get" class="filter" role="search" action="#table-h">
        <input type="hidden" name="table" value="{{file}}">
        {{#sortField}}<input type="hidden" name="sort" value="{{sortField}}">{{/sortField}}{{#dirField}}<input type="hidden" name="dir" value="{{dirField}}">{{/dirField}}{{#colsField}}<input type="hidden" name="cols" value="{{colsField}}">{{/colsField}}
        <label for="q">Search</label> <input id="q" name="q" value="{{q}}" size="24">
        <label for="metric">Score of</label> <select id="metric" name="metric"><option value="">(any)</option>{{#metricOptions}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/metricOptions}}</select>
        <label for="min">from</label> <input id="min" name="min" value="{{min}}" size="5" inputmode="decimal">
        <label for="max">to</label> <input id="max" name="max" value="{{max}}" size="5" inputmode="decimal">
        <button type="submit">Filter</button>
        </form>
        <details class="columns-picker"><summary>Columns</summary>
        <form method="get" action="#table-h" id="columns-form">
        {{#columnsHidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/columnsHidden}}
        <fieldset><legend>Show, in this order</legend>
        {{#columnOptions}}<label class="pick"><input type="checkbox" name="cols" value="{{name}}"{{#checked}} checked{{/checked}}> {{name}}</label>{{/columnOptions}}
        </fieldset>
        <button type="submit">Show these columns</button>
        </form>
        </details>
        <p class="muted">{{summary}} · download as <a href="{{csv}}" download>CSV</a> or <a href="{{json}}" download>JSON</a> · <a href="{{reviewHref}}">review rows</a> ({{reviewedCount}} reviewed)</p>
        {{#hasAgreement}}<section aria-labelledby="agree-h" class="agreement"><h3 id="agree-h">Judges against people</h3>
        {{#agreement}}<div class="agree"><h4 class="mono">{{name}}</h4><p>{{pairs}} rows scored by both · exact agreement {{agreement}} · weighted kappa {{kappa}} · Spearman {{spearman}} · mean difference {{mae}}</p>
        {{#hasLevels}}<table class="data compact confusion"><caption>Rows by a person's score (down) and the judge's (across)</caption><thead><tr><th scope="col">person / judge</th>{{#levels}}<th scope="col" class="num">{{level}}</th>{{/levels}}</tr></thead><tbody>{{#matrix}}<tr><th scope="row" class="num">{{level}}</th>{{#counts}}<td class="num">{{n}}</td>{{/counts}}</tr>{{/matrix}}</tbody></table>{{/hasLevels}}</div>{{/agreement}}
        </section>{{/hasAgreement}}
        <div class="scroll">
        <table class="data evaluation">
        <thead><tr><th scope="col" class="num">#</th>{{#headers}}<th scope="col"{{#sort}} aria-sort="{{sort}}"{{/sort}}{{#numeric}} class="num"{{/numeric}}><a href="{{href}}" title="Order by {{label}}">{{{html}}}</a>{{#arrow}} <span aria-hidden="true">{{arrow}}</span>{{/arrow}}</th>{{/headers}}</tr></thead>
        <tbody>
        {{#rows}}<tr id="{{anchor}}"{{#flagged}} class="flagged"{{/flagged}}><td class="num">{{number}}<br><a href="{{review}}" class="review-link" title="Score this row">review</a></td>{{#cells}}<td class="{{kind}}">{{#score}}<details{{#invalid}} class="invalid"{{/invalid}}><summary>{{value}}</summary><div class="justification">{{justification}}</div></details>{{#human}}<span class="human" title="a person's score">person: {{human}}</span>{{/human}}{{/score}}{{^score}}{{#human}}<span>{{value}}</span> <span class="human" title="a person's score">person: {{human}}</span>{{/human}}{{^human}}{{#conversation}}<details class="conversation"><summary>{{summary}}</summary><ol class="turns">{{#turns}}<li class="turn {{role}}{{#failed}} failed{{/failed}}"><span class="role">{{label}}</span>{{#text}} <span class="turn-text">{{text}}</span>{{/text}}{{#calls}}<details class="tool-call"><summary>calls {{name}}</summary><code>{{arguments}}</code></details>{{/calls}}</li>{{/turns}}</ol></details>{{/conversation}}{{^conversation}}<div class="cell">{{#href}}<a href="{{href}}">{{value}}</a>{{/href}}{{^href}}{{value}}{{/href}}</div>{{/conversation}}{{/human}}{{/score}}</td>{{/cells}}</tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        <nav class="pager" aria-label="Table pages">{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}} <span>{{page}}</span> {{#next}}<a href="{{next}}">Next →</a>{{/next}}
        <form method="get" action="#table-h" class="inline jump">{{#hiddenFields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hiddenFields}}<label for="page-jump">Go to page</label> <input id="page-jump" name="page" type="number" min="1" max="{{pages}}" value="{{pageNumber}}" size="4"> <button type="submit" class="secondary">Go</button></form></nav>
        </section>
        """

    static let artifact = """
        <h1 class="mono">{{path}}</h1>
        <p><a href="/runs/{{runID}}">← Back to the run</a> · <a href="{{download}}" download>Download</a> <span class="muted">{{size}}</span></p>
        {{#text}}<pre class="artifact">{{text}}</pre>{{/text}}
        {{#truncated}}<p class="muted">Showing the first {{shown}}; download the file for the rest.</p>{{/truncated}}
        {{^text}}<p>This file is not text; download it to open it.</p>{{/text}}
        """

    static let compare = """
        <h1>Compare {{count}} runs</h1>
        <div class="scroll"><table class="data compact">
        <thead><tr><th scope="col">Run</th>{{#runs}}<th scope="col"><a href="/runs/{{id}}">{{name}}</a>{{#baseline}} <span class="muted">(baseline)</span>{{/baseline}}</th>{{/runs}}</tr></thead>
        <tbody>
        <tr><th scope="row">Model</th>{{#runs}}<td>{{model}}</td>{{/runs}}</tr>
        <tr><th scope="row">Started</th>{{#runs}}<td class="nowrap">{{started}}</td>{{/runs}}</tr>
        {{#hasDatasetRow}}<tr><th scope="row">Dataset</th>{{#datasetRow}}<td>{{value}}</td>{{/datasetRow}}</tr>{{/hasDatasetRow}}
        {{#paramDiffs}}<tr class="differs"><th scope="row" class="mono">{{key}}</th>{{#cells}}<td class="wrap">{{value}}</td>{{/cells}}</tr>{{/paramDiffs}}
        </tbody>
        </table></div>
        {{#hasParamDiffs}}<p class="muted">Params shown are those that differ between the runs.</p>{{/hasParamDiffs}}
        {{#datasetWarning}}<p class="warning" role="note">{{datasetWarning}}</p>{{/datasetWarning}}
        <section aria-labelledby="cm-h"><h2 id="cm-h">Metrics</h2>
        <div class="scroll"><table class="data compact">
        <thead><tr><th scope="col">Metric</th><th scope="col">Better</th>{{#runs}}<th scope="col" class="num">{{name}}</th>{{/runs}}</tr></thead>
        <tbody>
        {{#metrics}}<tr><th scope="row" class="mono">{{key}}</th><td>{{direction}}</td>{{#cells}}<td class="num">{{value}}{{#delta}} <span class="delta {{verdict}}" title="{{verdictText}}">{{delta}}</span>{{/delta}}{{#stat}}<br><span class="stat {{verdictClass}}" title="{{title}}">{{text}} · {{verdict}}</span>{{/stat}}</td>{{/cells}}</tr>
        {{/metrics}}
        </tbody></table></div>
        {{#statistics}}<p class="muted">{{statistics}}</p>{{/statistics}}
        {{#pairing}}<p class="muted">{{.}}</p>{{/pairing}}
        {{#warnings}}<p class="warning" role="note">{{.}}</p>{{/warnings}}
        </section>
        {{#rowsSection}}
        <section aria-labelledby="cr-h"><h2 id="cr-h">Rows, aligned by input</h2>
        {{#hasHistograms}}<div class="charts">{{#histograms}}<figure>{{{svg}}}</figure>{{/histograms}}</div>{{/hasHistograms}}
        {{#hasTallies}}<ul class="tallies">{{#tallies}}<li><strong>{{run}}</strong> against the baseline on {{metric}}: <span class="delta better">{{better}} improved</span>, <span class="delta worse">{{worse}} regressed</span>, <span class="delta same">{{same}} unchanged</span></li>{{/tallies}}</ul>{{/hasTallies}}
        <form method="get" class="filter" action="#cr-h">
        {{#runs}}<input type="hidden" name="runs" value="{{id}}">{{/runs}}
        <label for="metric">Sort by change in</label> <select id="metric" name="metric">{{#metricOptions}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/metricOptions}}</select>
        <label for="cq">Search</label> <input id="cq" name="q" value="{{q}}" size="20">
        <label><input type="checkbox" name="changed" value="1"{{#changed}} checked{{/changed}}> only rows that changed</label>
        <button type="submit">Show</button>
        </form>
        <p class="muted">{{summary}}</p>
        {{#rows}}
        <article class="row-compare{{#regressed}} regressed{{/regressed}}">
        <h3>{{input}}</h3>
        {{#target}}<p class="muted">Expected: {{target}}</p>{{/target}}
        <div class="side-by-side" style="--n: {{count}}">
        {{#outputs}}<div><div class="muted">{{run}}</div><div class="output">{{{diff}}}</div><ul class="scores">{{#scores}}<li><span class="mono">{{metric}}</span> {{value}}{{#delta}} <span class="delta {{verdict}}">{{delta}}</span>{{/delta}}{{#why}}<details class="why"><summary>why</summary><div class="justification">{{why}}</div></details>{{/why}}</li>{{/scores}}</ul></div>{{/outputs}}
        </div>
        </article>
        {{/rows}}
        <nav class="pager" aria-label="Row pages">{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}} <span>{{page}}</span> {{#next}}<a href="{{next}}">Next →</a>{{/next}}</nav>
        </section>
        {{/rowsSection}}
        """

    static let traces = """
        <h1>Traces of {{name}}</h1>
        <p class="muted"><a href="/experiments/{{id}}">runs</a></p>
        <form method="get" class="filter" role="search">
        <label for="tq">Search</label> <input id="tq" name="q" value="{{q}}" size="20" placeholder="words in the spans">
        <label for="tfilter">Filter</label> <input id="tfilter" name="filter" value="{{filter}}" size="40" placeholder="status = 'ERROR' and execution_time_ms &gt; 500">
        <label for="torder">Order</label> <select id="torder" name="order">{{#orderOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/orderOptions}}</select>
        {{#hasScoreOptions}}<label for="tscore">Score column</label> <select id="tscore" name="score"><option value="">(none)</option>{{#scoreOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/scoreOptions}}</select>{{/hasScoreOptions}}
        <button type="submit">Show</button>
        {{#filtered}}<a href="/experiments/{{id}}/traces">Clear</a>{{/filtered}}
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#hasTraces}}
        <div class="scroll"><table class="data">
        <thead><tr><th scope="col">Started</th><th scope="col">Root span</th><th scope="col">Model</th><th scope="col" class="num">Latency</th><th scope="col" class="num">Tokens in / out</th><th scope="col">Status</th>{{#scoreHeader}}<th scope="col" class="num mono">{{scoreHeader}}</th>{{/scoreHeader}}<th scope="col">Input</th></tr></thead>
        <tbody>
        {{#traces}}<tr><td class="nowrap">{{started}}</td><td><a href="/traces/{{id}}">{{name}}</a></td><td>{{model}}</td><td class="num">{{latency}}</td><td class="num">{{tokens}}</td><td><span class="status {{status}}">{{status}}</span></td>{{#scoreCell}}<td class="num" title="{{why}}">{{value}}</td>{{/scoreCell}}<td class="wrap">{{input}}</td></tr>
        {{/traces}}
        </tbody></table></div>
        {{/hasTraces}}
        {{^traces}}{{^filtered}}<p>No traces yet. Send OpenTelemetry spans to <code>/v1/traces</code> with the header <code>x-assay-experiment: {{name}}</code>.</p>{{/filtered}}{{#filtered}}<p>No traces match.</p>{{/filtered}}{{/traces}}
        <nav class="pager" aria-label="Pages">{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}} {{#next}}<a href="{{next}}">Next →</a>{{/next}}</nav>
        """

    static let trace = """
        <h1>{{name}} <span class="status {{status}}">{{status}}</span></h1>
        {{#backToRow}}<p><a href="{{href}}">← Back to {{label}}</a></p>{{/backToRow}}
        <dl class="facts">
        <dt>Trace ID</dt><dd class="mono">{{id}}</dd>
        <dt>Started</dt><dd>{{started}}</dd>
        <dt>Latency</dt><dd>{{latency}}</dd>
        <dt>Model</dt><dd>{{model}}</dd>
        <dt>Tokens</dt><dd>{{tokens}}</dd>
        {{#hasRuns}}<dt>Runs</dt><dd>{{#runs}}<a href="/runs/{{id}}">{{name}}</a> {{/runs}}</dd>{{/hasRuns}}
        {{#tags}}<dt class="mono">{{key}}</dt><dd>{{value}}</dd>{{/tags}}
        </dl>
        <div class="columns">
        <section aria-labelledby="in-h"><h2 id="in-h">Input</h2><div class="output">{{input}}</div></section>
        <section aria-labelledby="out-h"><h2 id="out-h">Output</h2><div class="output">{{output}}</div></section>
        </div>
        {{#instructions}}<section aria-labelledby="sys-h"><h2 id="sys-h">System instructions</h2><div class="output">{{instructions}}</div></section>{{/instructions}}
        {{#hasContext}}<section aria-labelledby="ctx-h"><h2 id="ctx-h">Retrieved context</h2><ol>{{#context}}<li class="wrap">{{.}}</li>{{/context}}</ol></section>{{/hasContext}}
        <section aria-labelledby="as-h"><h2 id="as-h">Scores</h2>
        {{#hasAssessments}}<table class="data compact"><thead><tr><th scope="col">Metric</th><th scope="col" class="num">Score</th><th scope="col">Why</th><th scope="col">By</th><th scope="col">Run</th></tr></thead><tbody>
        {{#assessments}}<tr{{#stale}} class="muted"{{/stale}}><td class="mono">{{name}}{{#kind}} <span class="muted">({{kind}})</span>{{/kind}}{{#stale}} <span class="muted">(overridden)</span>{{/stale}}</td><td class="num wrap">{{value}}</td><td class="wrap">{{rationale}}</td><td>{{source}}</td><td>{{#runID}}<a href="/runs/{{runID}}">{{runName}}</a>{{/runID}}</td></tr>{{/assessments}}
        </tbody></table>{{/hasAssessments}}
        {{^assessments}}<p class="muted">Not evaluated yet: <code>assay evaluate --traces EXPERIMENT --metrics toxicity --judge URI</code>.</p>{{/assessments}}
        <details class="review-form"><summary>Add your score</summary>
        <form method="post" action="/traces/{{id}}/review" class="filter">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="tr-metric">Metric</label> <input id="tr-metric" name="metric" value="overall" size="16">
        <label for="tr-value">Score</label> <input id="tr-value" name="value" size="8" placeholder="4, up, down, a label" required>
        <label for="tr-comment">Comment</label> <input id="tr-comment" name="comment" size="30">
        <label for="tr-reviewer">Your name</label> <input id="tr-reviewer" name="reviewer" size="12" placeholder="web UI" autocomplete="name">
        <button type="submit">Save</button>
        </form></details>
        </section>
        <section aria-labelledby="spans-h"><h2 id="spans-h">Spans</h2>
        <ol class="spans">
        {{#spans}}<li style="--depth: {{depth}}">
        <div class="span-row"><span class="span-name">{{name}}</span> <span class="muted">{{kind}} · {{duration}}</span>{{#error}} <span class="status ERROR">error</span>{{/error}}
        <span class="timeline" aria-hidden="true"><span class="bar" style="margin-left: {{offset}}%; width: {{width}}%"></span></span></div>
        <details><summary>Attributes and events</summary><pre class="artifact">{{detail}}</pre></details>
        </li>{{/spans}}
        </ol>
        </section>
        """

    static let review = """
        <h1>Review {{runName}} <span class="muted">row {{row}} of {{rows}}</span></h1>
        <p class="muted">{{reviewed}} of {{rows}} rows reviewed · <a href="{{runPath}}#table-h">back to the table</a>{{#reason}} · in the queue because {{reason}}{{/reason}}</p>
        {{#saved}}<p class="saved" role="status">{{saved}}</p>{{/saved}}
        <div class="columns">
        <section aria-labelledby="rin-h"><h2 id="rin-h">Input</h2><div class="output">{{input}}</div>
        {{#target}}<h2>Expected</h2><div class="output">{{target}}</div>{{/target}}</section>
        <section aria-labelledby="rout-h"><h2 id="rout-h">Output</h2><div class="output">{{output}}</div></section>
        </div>
        <h2>Scores</h2>
        {{#hasScores}}<table class="data compact"><thead><tr><th scope="col">Metric</th><th scope="col" class="num">Score</th><th scope="col">Scale</th><th scope="col">Why</th><th scope="col">A person's</th></tr></thead><tbody>
        {{#scores}}<tr><td class="mono">{{name}}</td><td class="num">{{value}}</td><td>{{scale}}</td><td class="wrap">{{why}}</td><td class="num">{{human}}</td></tr>{{/scores}}
        </tbody></table>{{/hasScores}}
        <form method="post" action="{{runPath}}/review" id="review-form" class="review">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="row" value="{{row}}"><input type="hidden" name="next" value="{{next}}">
        <label for="rv-metric">Metric</label> <select id="rv-metric" name="metric">{{#metricOptions}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/metricOptions}}</select>
        <label for="rv-value">Your score</label> <input id="rv-value" name="value" size="8" placeholder="1–5, up, down, a label" autocomplete="off">
        <button type="submit" name="thumb" value="up" class="secondary" title="key u">Thumbs up</button> <button type="submit" name="thumb" value="down" class="secondary" title="key d">Thumbs down</button>
        <label for="rv-comment">Comment</label> <textarea id="rv-comment" name="comment" rows="2" cols="50"></textarea>
        <label for="rv-reviewer">Your name</label> <input id="rv-reviewer" name="reviewer" value="{{reviewer}}" size="12" placeholder="web UI" autocomplete="name">
        <button type="submit" name="action" value="save" id="rv-save">Save and next</button> <button type="submit" name="action" value="skip" class="secondary" id="rv-skip" formnovalidate>Skip</button>
        </form>
        <p class="muted keys">Keys: 1 to 9 score and go on · u / d thumbs up or down · s skip · c comment</p>
        {{#hasExisting}}<h2>Earlier scores of this row</h2><ul>{{#existing}}<li><span class="mono">{{name}}</span> {{value}} <span class="muted">by {{by}}</span> {{comment}}</li>{{/existing}}</ul>{{/hasExisting}}
        """

    static let message = """
        <h1>{{title}}</h1>
        <p>{{message}}</p>
        <p><a href="/">Back to the experiments</a></p>
        """

    static let stylesheet = """
        :root { --fg: #1d232a; --muted: #5b6672; --line: #d5dbe1; --bg: #fff; --soft: #f4f6f8; --accent: #0b5cad;
                --good: #137333; --bad: #b3261e; --warn: #8a5a00; --bad-soft: #fdecea; --warn-soft: #fff4e0; --flag: #fff6e5;
                --ins: #d7f5dd; --del: #fbd9d6; --field: #fff; --field-line: #9aa5b1; --focus: #f0b400;
                color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6e9ed; --muted: #a3adb8; --line: #3a434d; --bg: #15191d; --soft: #1f252b; --accent: #7ab4f5;
                  --good: #6fcf8a; --bad: #ff8a80; --warn: #f2c66d; --bad-soft: #3d1f1d; --warn-soft: #3a2f16; --flag: #352c18;
                  --ins: #1f4d2b; --del: #5a2420; --field: #1b2025; --field-line: #56616d; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--fg); background: var(--bg); font-size: 15px; line-height: 1.45; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid var(--focus); outline-offset: 1px; }
        .skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
        .top { display: flex; justify-content: space-between; align-items: center; padding: 10px 24px; border-bottom: 1px solid var(--line); background: var(--soft); }
        .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
        main { padding: 16px 24px 48px; max-width: 1400px; }
        h1 { font-size: 1.5rem; margin: 8px 0 4px; } h2 { font-size: 1.15rem; margin: 24px 0 8px; } h3 { font-size: 1rem; margin: 4px 0; }
        .muted { color: var(--muted); } .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 0.9em; }
        .nowrap { white-space: nowrap; } .wrap { word-break: break-word; max-width: 60ch; }
        .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        table.data { border-collapse: collapse; width: 100%; }
        table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
        table.data thead th { background: var(--soft); position: sticky; top: 0; font-weight: 600; }
        table.data th a { color: inherit; }
        table.compact { width: auto; min-width: 40%; }
        .num { text-align: right !important; font-variant-numeric: tabular-nums; }
        .scroll { overflow-x: auto; max-width: 100%; }
        .status { font-size: 0.8rem; padding: 1px 6px; border-radius: 8px; background: var(--soft); border: 1px solid var(--line); }
        .status.FINISHED, .status.OK { color: var(--good); } .status.RUNNING, .status.IN_PROGRESS { color: var(--accent); }
        .status.FAILED, .status.KILLED, .status.DELETED, .status.ERROR { color: var(--bad); border-color: var(--bad); background: var(--bad-soft); font-weight: 600; }
        .filter { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 12px 0; }
        input, select, button, textarea { font: inherit; padding: 4px 8px; border: 1px solid var(--field-line); border-radius: 4px; background: var(--field); color: var(--fg); }
        button { background: var(--accent); color: var(--bg); border-color: var(--accent); cursor: pointer; }
        button.secondary { background: var(--field); color: var(--accent); } button.link { background: none; border: none; color: var(--accent); text-decoration: underline; }
        form.inline { display: inline; }
        .error { color: var(--bad); background: var(--bad-soft); padding: 8px 12px; border-radius: 4px; }
        .warning { color: var(--warn); background: var(--warn-soft); padding: 6px 12px; border-radius: 4px; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 12px; } .facts dt { color: var(--muted); } .facts dd { margin: 0; }
        .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; } @media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-size: 0.8rem; }
        svg.chart { background: var(--soft); border-radius: 4px; } svg.chart text { font-size: 10px; fill: var(--muted); }
        svg.chart .axis { stroke: var(--field-line); } svg.chart .grid { stroke: var(--line); stroke-dasharray: 2 3; }
        svg.chart .dot { fill: var(--accent); opacity: 0.85; } svg.chart .axis-title { fill: var(--fg); font-weight: 600; }
        .chart-wide { overflow-x: auto; } fieldset.metric-picks { display: flex; flex-wrap: wrap; gap: 4px 14px; border: 1px solid var(--line); border-radius: 4px; } svg.chart .series { fill: none; stroke: var(--accent); stroke-width: 2; } svg.chart .bar { fill: var(--accent); opacity: 0.8; }
        ul.files { list-style: none; padding: 0; } ul.files li { padding: 2px 0; }
        table.evaluation td { max-width: 42ch; } table.evaluation .cell { max-height: 9em; overflow: auto; white-space: pre-wrap; word-break: break-word; }
        table.evaluation td.score, table.evaluation td.num { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
        table.evaluation td.text { min-width: 24ch; }
        table.runs { width: auto; min-width: 100%; }
        table.runs thead th { white-space: normal; overflow-wrap: normal; word-break: normal; min-width: 12ch; max-width: 18ch; vertical-align: bottom; }
        table.runs .sticky { position: sticky; left: 0; z-index: 1; background: var(--bg); white-space: nowrap; max-width: 28ch; overflow: hidden; text-overflow: ellipsis; }
        table.runs thead .sticky { z-index: 2; background: var(--soft); }
        table.runs tbody th { font-weight: 400; }
        ol.turns { list-style: none; padding: 0; margin: 4px 0; max-height: 18em; overflow: auto; } ol.turns li { padding: 3px 6px; margin: 2px 0; border-left: 3px solid var(--line); white-space: pre-wrap; word-break: break-word; }
        ol.turns li.user { border-color: var(--accent, #3b6fd4); } ol.turns li.assistant { border-color: var(--good, #2e8540); } ol.turns li.failed { border-color: var(--bad); }
        ol.turns .role { font-size: 0.8em; text-transform: uppercase; color: var(--muted); } details.tool-call code { white-space: pre-wrap; }
        details.invalid summary { color: var(--bad); font-weight: 600; } .justification { white-space: pre-wrap; max-width: 50ch; font-size: 0.9em; color: var(--muted); }
        tr.flagged { background: var(--flag); } tr.flagged td:first-child { border-left: 4px solid var(--warn); }
        .pager { margin: 12px 0; display: flex; flex-wrap: wrap; gap: 16px; align-items: center; }
        details.columns-picker fieldset { display: flex; flex-wrap: wrap; gap: 4px 14px; border: 1px solid var(--line); border-radius: 4px; }
        label.pick { white-space: nowrap; }
        .delta { font-size: 0.85em; } .delta.better { color: var(--good); } .delta.worse { color: var(--bad); } .delta.same { color: var(--muted); }
        .stat { font-size: 0.8em; color: var(--muted); white-space: nowrap; } .stat.better { color: var(--good); } .stat.worse { color: var(--bad); }
        .row-compare { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 10px 0; } .row-compare.regressed { border-left: 4px solid var(--bad); }
        .side-by-side { display: grid; grid-template-columns: repeat(var(--n), minmax(0, 1fr)); gap: 12px; }
        .output { white-space: pre-wrap; word-break: break-word; background: var(--soft); padding: 6px 8px; border-radius: 4px; }
        ins { background: var(--ins); text-decoration: none; } del { background: var(--del); margin-right: 0.25em; }
        ul.scores { list-style: none; padding: 0; margin: 4px 0 0; font-size: 0.9em; } details.why { display: inline; margin-left: 6px; }
        ul.tallies { padding-left: 18px; } tr.differs th { color: var(--warn); }
        pre.artifact { background: var(--soft); padding: 12px; overflow: auto; max-height: 80vh; white-space: pre-wrap; word-break: break-word; }
        .stack { display: grid; gap: 8px; max-width: 320px; }
        .human { display: inline-block; margin-left: 6px; font-size: 0.85em; color: var(--accent); white-space: nowrap; } a.review-link { font-size: 0.75em; }
        form.review { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 12px 0; padding: 10px; border: 1px solid var(--line); border-radius: 6px; }
        .saved { color: var(--good); } table.confusion caption { caption-side: bottom; font-size: 0.85em; color: var(--muted); } .agree h4 { margin: 8px 0 2px; }
        ol.spans { list-style: none; padding: 0; } ol.spans li { padding: 4px 0; border-bottom: 1px solid var(--line); } ol.spans .span-name, ol.spans details { padding-left: calc(var(--depth) * 20px); }
        @media (max-width: 600px) {
          main { padding: 8px 10px 32px; } .top { padding: 8px 10px; } h1 { font-size: 1.25rem; }
          .filter input[size] { width: 100%; } .filter label { flex-basis: 100%; }
          table.data th, table.data td { padding: 4px 5px; } .facts { grid-template-columns: 1fr; } .facts dt { margin-top: 4px; }
          .side-by-side { grid-template-columns: 1fr; } .span-row { grid-template-columns: 1fr; } .timeline { grid-column: 1; }
          table.runs .sticky { max-width: 16ch; } table.runs thead th { min-width: 9ch; }
          .facts { grid-template-columns: minmax(0, 1fr); } .facts dd, table.data .mono, table.data .wrap { overflow-wrap: anywhere; }
        }
        .span-row { display: grid; grid-template-columns: minmax(200px, 1fr) 2fr; gap: 8px; align-items: center; } .span-name { font-weight: 600; }
        .timeline { display: block; background: var(--soft); height: 10px; border-radius: 3px; grid-column: 2; } .timeline .bar { display: block; height: 10px; background: var(--accent); border-radius: 3px; min-width: 2px; }
        """

    /// Progressive enhancement only: every view works without it.
    static let script = """
        (function () {
          var review = document.getElementById('review-form');
          if (!review) return;
          var value = document.getElementById('rv-value');
          function send(v, action) {
            if (v !== null) value.value = v;
            var a = document.createElement('input'); a.type = 'hidden'; a.name = 'action'; a.value = action; review.appendChild(a);
            review.submit();
          }
          document.addEventListener('keydown', function (e) {
            var t = e.target && e.target.tagName;
            if (e.ctrlKey || e.metaKey || e.altKey || t === 'TEXTAREA' || t === 'INPUT' || t === 'SELECT') return;
            if (/^[1-9]$/.test(e.key)) { e.preventDefault(); send(e.key, 'save'); }
            else if (e.key === 'u') { e.preventDefault(); send('up', 'save'); }
            else if (e.key === 'd') { e.preventDefault(); send('down', 'save'); }
            else if (e.key === 's') { e.preventDefault(); send(null, 'skip'); }
            else if (e.key === 'c') { e.preventDefault(); document.getElementById('rv-comment').focus(); }
          });
        })();
        (function () {
          var form = document.getElementById('compare-form');
          if (!form) return;
          var count = document.getElementById('compare-count');
          function update() {
            var n = form.querySelectorAll('input[name=runs]:checked').length;
            count.textContent = n === 0 ? '' : n + ' selected' + (n > 5 ? ' (at most 5)' : '');
          }
          form.addEventListener('change', update);
          form.addEventListener('submit', function (e) {
            var n = form.querySelectorAll('input[name=runs]:checked').length;
            if (n < 2 || n > 5) { e.preventDefault(); count.textContent = 'Select 2 to 5 runs to compare.'; }
          });
        })();
        """
}
