<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>BulkActions</name>
    <message numerus="yes">
        <source>all %1 key(s) shown (%2)</source>
        <translation>
            <numerusform>all %1 key shown (%2)</numerusform>
            <numerusform>all %1 keys shown (%2)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more endpoint(s)</source>
        <translation>
            <numerusform>%n more endpoint</numerusform>
            <numerusform>%n more endpoints</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 key(s) on %2</source>
        <translation>
            <numerusform>%1 key on %2</numerusform>
            <numerusform>%1 keys on %2</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) changed</source>
        <translation>
            <numerusform>%n key changed</numerusform>
            <numerusform>%n keys changed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already so</source>
        <translation>
            <numerusform>%n already so</numerusform>
            <numerusform>%n already so</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n failed</numerusform>
            <numerusform>%n failed</numerusform>
        </translation>
    </message>
    <message>
        <source>, </source>
        <translation>, </translation>
    </message>
    <message>
        <source>.</source>
        <translation>.</translation>
    </message>
    <message>
        <source>Canceled: the keys before the cancel stay changed.</source>
        <translation>Canceled: the keys before the cancel stay changed.</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>Set fixed limit</source>
        <translation>Set fixed limit</translation>
    </message>
    <message>
        <source>Fixed concurrency limit (%1–%2) for %3:</source>
        <translation>Fixed concurrency limit (%1–%2) for %3:</translation>
    </message>
    <message>
        <source>Set a fixed limit of %1 for %2?</source>
        <translation>Set a fixed limit of %1 for %2?</translation>
    </message>
    <message>
        <source>Adaptive keys among them switch to fixed mode; what they learned is kept.</source>
        <translation>Adaptive keys among them switch to fixed mode; what they learned is kept.</translation>
    </message>
    <message>
        <source>Set limit</source>
        <translation>Set limit</translation>
    </message>
    <message>
        <source>Switch mode</source>
        <translation>Switch mode</translation>
    </message>
    <message>
        <source>Switch %1 to adaptive mode?</source>
        <translation>Switch %1 to adaptive mode?</translation>
    </message>
    <message>
        <source>Adaptive keys learn their limit from 429 responses; their fixed limits are cleared. Choose Fixed… to give them all one fixed limit instead.</source>
        <translation>Adaptive keys learn their limit from 429 responses; their fixed limits are cleared. Choose Fixed… to give them all one fixed limit instead.</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>Adaptive</translation>
    </message>
    <message>
        <source>Fixed…</source>
        <translation>Fixed…</translation>
    </message>
    <message>
        <source>Reset learning</source>
        <translation>Reset learning</translation>
    </message>
    <message>
        <source>Reset what was learned for %1?</source>
        <translation>Reset what was learned for %1?</translation>
    </message>
    <message>
        <source>This clears each key&apos;s learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples. Modes and fixed limits stay as they are.</source>
        <translation>This clears each key&apos;s learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples. Modes and fixed limits stay as they are.</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the endpoints of a list</comment>
        <translation>, </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n key</numerusform>
            <numerusform>%n keys</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 and %2</source>
        <comment>the endpoints of a list, the last one after &quot;and&quot;</comment>
        <translation>%1 and %2</translation>
    </message>
</context>
<context>
    <name>Cli</name>
    <message>
        <source>NAME</source>
        <translation>NAME</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>ROLE</translation>
    </message>
    <message>
        <source>CREATED</source>
        <translation>CREATED</translation>
    </message>
    <message>
        <source>LAST USED</source>
        <translation>LAST USED</translation>
    </message>
    <message>
        <source>Aether Console: administration of per-key adaptive concurrency for an LLM API gateway.</source>
        <translation>Aether Console: administration of per-key adaptive concurrency for an LLM API gateway.</translation>
    </message>
    <message>
        <source>Database: a file path, sqlite:///abs/path or postgresql://user:password@host:port/dbname (default: $AETHER_CONSOLE_DATABASE, else the embedded SQLite file).</source>
        <translation>Database: a file path, sqlite:///abs/path or postgresql://user:password@host:port/dbname (default: $AETHER_CONSOLE_DATABASE, else the embedded SQLite file).</translation>
    </message>
    <message>
        <source>Create an API token and print it once.</source>
        <translation>Create an API token and print it once.</translation>
    </message>
    <message>
        <source>Role of a new token: admin, viewer or gateway (default admin).</source>
        <translation>Role of a new token: admin, viewer or gateway (default admin).</translation>
    </message>
    <message>
        <source>List the API tokens.</source>
        <translation>List the API tokens.</translation>
    </message>
    <message>
        <source>Revoke an API token.</source>
        <translation>Revoke an API token.</translation>
    </message>
    <message>
        <source>Fill an empty database with demo providers, endpoints and keys.</source>
        <translation>Fill an empty database with demo providers, endpoints and keys.</translation>
    </message>
    <message>
        <source>Number of keys --demo creates (default 40).</source>
        <translation>Number of keys --demo creates (default 40).</translation>
    </message>
    <message>
        <source>Create or update the database (with --demo: fill it), then exit without opening the window.</source>
        <translation>Create or update the database (with --demo: fill it), then exit without opening the window.</translation>
    </message>
    <message>
        <source>invalid --database: %1</source>
        <translation>invalid --database: %1</translation>
    </message>
    <message>
        <source>cannot open the database %1: %2</source>
        <translation>cannot open the database %1: %2</translation>
    </message>
    <message>
        <source>aether-console: the database %1 is unavailable (%2); answering 503 until it is back</source>
        <translation>aether-console: the database %1 is unavailable (%2); answering 503 until it is back</translation>
    </message>
    <message>
        <source>unknown role &quot;%1&quot;: use admin, viewer or gateway</source>
        <translation>unknown role &quot;%1&quot;: use admin, viewer or gateway</translation>
    </message>
    <message>
        <source>Created %1 token &quot;%2&quot;. It is shown only once:</source>
        <translation>Created %1 token &quot;%2&quot;. It is shown only once:</translation>
    </message>
    <message>
        <source>Revoked token &quot;%1&quot;.</source>
        <translation>Revoked token &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Demo data: %1 providers, %2 endpoints, %3 keys.</source>
        <translation>Demo data: %1 providers, %2 endpoints, %3 keys.</translation>
    </message>
    <message>
        <source>Demo data not added: %1.</source>
        <translation>Demo data not added: %1.</translation>
    </message>
    <message>
        <source>invalid --listen &quot;%1&quot;: use HOST:PORT</source>
        <translation>invalid --listen &quot;%1&quot;: use HOST:PORT</translation>
    </message>
    <message>
        <source>aether-console: the database is available again</source>
        <translation>aether-console: the database is available again</translation>
    </message>
    <message>
        <source>--demo-keys takes a positive number</source>
        <translation>--demo-keys takes a positive number</translation>
    </message>
    <message>
        <source>unknown strategy &quot;%1&quot;: use one of %2</source>
        <translation>unknown strategy &quot;%1&quot;: use one of %2</translation>
    </message>
    <message>
        <source>Serve the learning to the simulator&apos;s external-learner protocol on standard input and output (sim/README.md), then exit.</source>
        <translation>Serve the learning to the simulator&apos;s external-learner protocol on standard input and output (sim/README.md), then exit.</translation>
    </message>
    <message>
        <source>Most client connections at once (default %1).</source>
        <translation>Most client connections at once (default %1).</translation>
    </message>
    <message>
        <source>Most connections from one client address (default %1).</source>
        <translation>Most connections from one client address (default %1).</translation>
    </message>
    <message>
        <source>Seconds a client has to send a request head (default %1).</source>
        <translation>Seconds a client has to send a request head (default %1).</translation>
    </message>
    <message>
        <source>Seconds an idle kept-alive connection stays open, and a body or a client that stopped reading may stall (default %1).</source>
        <translation>Seconds an idle kept-alive connection stays open, and a body or a client that stopped reading may stall (default %1).</translation>
    </message>
    <message>
        <source>Largest request head in bytes (default %1; larger: 431).</source>
        <translation>Largest request head in bytes (default %1; larger: 431).</translation>
    </message>
    <message>
        <source>Most header lines in a request (default %1; more: 431).</source>
        <translation>Most header lines in a request (default %1; more: 431).</translation>
    </message>
    <message>
        <source>Wrong tokens a client address may send per minute before it gets 429 (default %1; 0 = no limit).</source>
        <translation>Wrong tokens a client address may send per minute before it gets 429 (default %1; 0 = no limit).</translation>
    </message>
    <message>
        <source>Serve HTTPS with this PEM certificate (chain).</source>
        <translation>Serve HTTPS with this PEM certificate (chain).</translation>
    </message>
    <message>
        <source>The PEM private key of --tls-cert.</source>
        <translation>The PEM private key of --tls-cert.</translation>
    </message>
    <message>
        <source>--%1 takes a whole number from %2 to %3</source>
        <translation>--%1 takes a whole number from %2 to %3</translation>
    </message>
    <message>
        <source>--tls-cert and --tls-key go together</source>
        <translation>--tls-cert and --tls-key go together</translation>
    </message>
    <message>
        <source>aether-console: warning: serving plain HTTP on %1: tokens and answers cross the network unencrypted and can be read or replayed by anyone on the path. Use --tls-cert/--tls-key or a TLS reverse proxy (docs/security.md).</source>
        <translation>aether-console: warning: serving plain HTTP on %1: tokens and answers cross the network unencrypted and can be read or replayed by anyone on the path. Use --tls-cert/--tls-key or a TLS reverse proxy (docs/security.md).</translation>
    </message>
    <message>
        <source>Serve the HTTP API without a window.</source>
        <translation>Serve the HTTP API without a window.</translation>
    </message>
    <message>
        <source>Address of the HTTP API (default 127.0.0.1:8087; port 0 = any).</source>
        <translation>Address of the HTTP API (default 127.0.0.1:8087; port 0 = any).</translation>
    </message>
    <message>
        <source>Database ready: %1. Serve the HTTP API with --serve.</source>
        <translation>Database ready: %1. Serve the HTTP API with --serve.</translation>
    </message>
    <message>
        <source>Days the time series of 429s and limits is kept (default: the setting timeline/retention_days, else 30).</source>
        <translation>Days the time series of 429s and limits is kept (default: the setting timeline/retention_days, else 30).</translation>
    </message>
    <message>
        <source>Seconds between two readings of the keys&apos; counters for the time series (default 30).</source>
        <translation>Seconds between two readings of the keys&apos; counters for the time series (default 30).</translation>
    </message>
    <message>
        <source>--retention-days takes a number of days from %1 to %2</source>
        <translation>--retention-days takes a number of days from %1 to %2</translation>
    </message>
    <message>
        <source>--sampling-interval takes a number of seconds from %1 to %2</source>
        <translation>--sampling-interval takes a number of seconds from %1 to %2</translation>
    </message>
    <message>
        <source>Learning strategy: of --learner-peer (default %2), or one of those --simulate compares (repeat it; default all): %1.</source>
        <translation>Learning strategy: of --learner-peer (default %2), or one of those --simulate compares (repeat it; default all): %1.</translation>
    </message>
    <message>
        <source>List the learning strategies, the recommended one first, then exit.</source>
        <translation>List the learning strategies, the recommended one first, then exit.</translation>
    </message>
    <message>
        <source>Run the learning simulator over a scenario (a built-in name such as limit_change, or a file in the JSON format of sim/scenarios) with each --strategy and the oracle, print the metrics, then exit.</source>
        <translation>Run the learning simulator over a scenario (a built-in name such as limit_change, or a file in the JSON format of sim/scenarios) with each --strategy and the oracle, print the metrics, then exit.</translation>
    </message>
    <message>
        <source>With --simulate: a JSON file of learning policy values to use instead of the defaults.</source>
        <translation>With --simulate: a JSON file of learning policy values to use instead of the defaults.</translation>
    </message>
    <message>
        <source>With --simulate: the random seed, instead of the scenario&apos;s.</source>
        <translation>With --simulate: the random seed, instead of the scenario&apos;s.</translation>
    </message>
    <message>
        <source>--seed takes a number of 0 or more</source>
        <translation>--seed takes a number of 0 or more</translation>
    </message>
    <message>
        <source>cannot read the scenario %1: %2</source>
        <translation>cannot read the scenario %1: %2</translation>
    </message>
    <message>
        <source>cannot read the policy %1: %2</source>
        <translation>cannot read the policy %1: %2</translation>
    </message>
    <message>
        <source>invalid policy %1: %2</source>
        <translation>invalid policy %1: %2</translation>
    </message>
    <message>
        <source>Scenario %1 (seed %2, %3 s): %4</source>
        <translation>Scenario %1 (seed %2, %3 s): %4</translation>
    </message>
    <message>
        <source>STRATEGY</source>
        <translation>STRATEGY</translation>
    </message>
    <message>
        <source>GOODPUT/ORACLE</source>
        <translation>GOODPUT/ORACLE</translation>
    </message>
    <message>
        <source>CONC. 429</source>
        <translation>CONC. 429</translation>
    </message>
    <message>
        <source>RPM 429</source>
        <translation>RPM 429</translation>
    </message>
    <message>
        <source>UNKNOWN 429</source>
        <translation>UNKNOWN 429</translation>
    </message>
    <message>
        <source>SHED %</source>
        <translation>SHED %</translation>
    </message>
    <message>
        <source>SETTLE S (PER LIMIT)</source>
        <translation>SETTLE S (PER LIMIT)</translation>
    </message>
    <message>
        <source>Serve GET /metrics without a token (otherwise a viewer or admin token).</source>
        <translation>Serve GET /metrics without a token (otherwise a viewer or admin token).</translation>
    </message>
    <message>
        <source>unknown command &quot;%1&quot;; see --help</source>
        <translation>unknown command &quot;%1&quot;; see --help</translation>
    </message>
    <message>
        <source>keys, key, set-limit, set-mode, reset, summary or policy, with its arguments (see above).</source>
        <translation>keys, key, set-limit, set-mode, reset, summary or policy, with its arguments (see above).</translation>
    </message>
    <message>
        <source>Commands for scripts, instead of the window:
  keys [--endpoint ID] [--all]     the adaptive keys (--all: every key)
  key ID                           a key&apos;s statistics
  set-limit ID N                   a fixed limit of N (1 to 100)
  set-mode ID adaptive|fixed [--limit N]
  reset ID [--yes]                 forget what was learned for the key
  summary                          totals over the adaptive keys
  policy [get | set KEY=VALUE... | reset [--yes]]
Add --json for the HTTP API&apos;s answer. Exit status: 0 done, 1 refused, 2 usage error, 3 database unavailable.</source>
        <translation>Commands for scripts, instead of the window:
  keys [--endpoint ID] [--all]     the adaptive keys (--all: every key)
  key ID                           a key&apos;s statistics
  set-limit ID N                   a fixed limit of N (1 to 100)
  set-mode ID adaptive|fixed [--limit N]
  reset ID [--yes]                 forget what was learned for the key
  summary                          totals over the adaptive keys
  policy [get | set KEY=VALUE... | reset [--yes]]
Add --json for the HTTP API&apos;s answer. Exit status: 0 done, 1 refused, 2 usage error, 3 database unavailable.</translation>
    </message>
    <message>
        <source>With keys: only the keys of this endpoint id.</source>
        <translation>With keys: only the keys of this endpoint id.</translation>
    </message>
    <message>
        <source>With keys: the keys with a fixed limit too.</source>
        <translation>With keys: the keys with a fixed limit too.</translation>
    </message>
    <message>
        <source>With set-mode ID fixed: the fixed limit (1 to 100).</source>
        <translation>With set-mode ID fixed: the fixed limit (1 to 100).</translation>
    </message>
    <message>
        <source>With reset and policy reset: do not ask for confirmation.</source>
        <translation>With reset and policy reset: do not ask for confirmation.</translation>
    </message>
    <message>
        <source>Print JSON: with --simulate the metrics, with a command the HTTP API&apos;s answer.</source>
        <translation>Print JSON: with --simulate the metrics, with a command the HTTP API&apos;s answer.</translation>
    </message>
    <message>
        <source>key %1 not found</source>
        <translation>key %1 not found</translation>
    </message>
    <message>
        <source>a fixed limit is needed: add --limit N</source>
        <translation>a fixed limit is needed: add --limit N</translation>
    </message>
    <message>
        <source>%1 is not a setting of the learning policy</source>
        <translation>%1 is not a setting of the learning policy</translation>
    </message>
    <message>
        <source>refused: %1</source>
        <translation>refused: %1</translation>
    </message>
    <message>
        <source>the database is unavailable: %1</source>
        <translation>the database is unavailable: %1</translation>
    </message>
    <message>
        <source>adaptive</source>
        <translation>adaptive</translation>
    </message>
    <message>
        <source>fixed</source>
        <translation>fixed</translation>
    </message>
    <message>
        <source>this asks for confirmation: add --yes when no one can answer</source>
        <translation>this asks for confirmation: add --yes when no one can answer</translation>
    </message>
    <message>
        <source>[y/N]</source>
        <translation>[y/N]</translation>
    </message>
    <message>
        <source>y</source>
        <translation>y</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>Nothing was changed.</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>PROVIDER</source>
        <translation>PROVIDER</translation>
    </message>
    <message>
        <source>ENDPOINT</source>
        <translation>ENDPOINT</translation>
    </message>
    <message>
        <source>MODE</source>
        <translation>MODE</translation>
    </message>
    <message>
        <source>LIMIT</source>
        <translation>LIMIT</translation>
    </message>
    <message>
        <source>LEARNED</source>
        <translation>LEARNED</translation>
    </message>
    <message>
        <source>KEY</source>
        <translation>KEY</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Mode</translation>
    </message>
    <message>
        <source>Fixed limit</source>
        <translation>Fixed limit</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>Effective limit</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>Learned limit</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>Concurrency 429s</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429s</translation>
    </message>
    <message>
        <source>Last 429</source>
        <translation>Last 429</translation>
    </message>
    <message>
        <source>Adjustments</source>
        <translation>Adjustments</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>TIME</translation>
    </message>
    <message>
        <source>OLD</source>
        <translation>OLD</translation>
    </message>
    <message>
        <source>NEW</source>
        <translation>NEW</translation>
    </message>
    <message>
        <source>REASON</source>
        <translation>REASON</translation>
    </message>
    <message>
        <source>Key %1: fixed limit %2 (it was adaptive).</source>
        <translation>Key %1: fixed limit %2 (it was adaptive).</translation>
    </message>
    <message>
        <source>Key %1: fixed limit %2.</source>
        <translation>Key %1: fixed limit %2.</translation>
    </message>
    <message>
        <source>Key %1: adaptive mode; its limit is learned.</source>
        <translation>Key %1: adaptive mode; its limit is learned.</translation>
    </message>
    <message>
        <source>Key %1: what was learned is reset.</source>
        <translation>Key %1: what was learned is reset.</translation>
    </message>
    <message>
        <source>Adaptive keys</source>
        <translation>Adaptive keys</translation>
    </message>
    <message>
        <source>Keys with a fixed limit</source>
        <translation>Keys with a fixed limit</translation>
    </message>
    <message>
        <source>SETTING</source>
        <translation>SETTING</translation>
    </message>
    <message>
        <source>VALUE</source>
        <translation>VALUE</translation>
    </message>
    <message>
        <source>policy get takes no arguments</source>
        <translation>policy get takes no arguments</translation>
    </message>
    <message>
        <source>policy set needs KEY=VALUE arguments</source>
        <translation>policy set needs KEY=VALUE arguments</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not KEY=VALUE</source>
        <translation>&quot;%1&quot; is not KEY=VALUE</translation>
    </message>
    <message>
        <source>policy reset takes no arguments</source>
        <translation>policy reset takes no arguments</translation>
    </message>
    <message>
        <source>Return the learning policy to its defaults for every key?</source>
        <translation>Return the learning policy to its defaults for every key?</translation>
    </message>
    <message>
        <source>unknown policy action &quot;%1&quot;: use get, set or reset</source>
        <translation>unknown policy action &quot;%1&quot;: use get, set or reset</translation>
    </message>
    <message>
        <source>usage: aether-console %1</source>
        <translation>usage: aether-console %1</translation>
    </message>
    <message>
        <source>the limit must be a whole number, not &quot;%1&quot;</source>
        <translation>the limit must be a whole number, not &quot;%1&quot;</translation>
    </message>
    <message>
        <source>the mode must be adaptive or fixed, not &quot;%1&quot;</source>
        <translation>the mode must be adaptive or fixed, not &quot;%1&quot;</translation>
    </message>
    <message>
        <source>Reset what was learned for key %1?</source>
        <translation>Reset what was learned for key %1?</translation>
    </message>
    <message>
        <source>never</source>
        <comment>token never used</comment>
        <translation>never</translation>
    </message>
    <message>
        <source>never</source>
        <comment>no 429 yet</comment>
        <translation>never</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the items of a list</comment>
        <translation>, </translation>
    </message>
    <message>
        <source>not found: %1</source>
        <translation>not found: %1</translation>
    </message>
    <message>
        <source>the database reported an error: %1</source>
        <translation>the database reported an error: %1</translation>
    </message>
</context>
<context>
    <name>ColumnChooser</name>
    <message>
        <source>Default columns</source>
        <translation>Default columns</translation>
    </message>
</context>
<context>
    <name>Error</name>
    <message>
        <source>The key no longer exists (it was deleted meanwhile).</source>
        <translation>The key no longer exists (it was deleted meanwhile).</translation>
    </message>
    <message>
        <source>The limit must be between %1 and %2.</source>
        <translation>The limit must be between %1 and %2.</translation>
    </message>
    <message>
        <source>The database cannot be reached: %1</source>
        <translation>The database cannot be reached: %1</translation>
    </message>
    <message>
        <source>Conflict: %1</source>
        <translation>Conflict: %1</translation>
    </message>
    <message>
        <source>The database reported an error: %1</source>
        <translation>The database reported an error: %1</translation>
    </message>
    <message>
        <source>the HTTP API is running already</source>
        <translation>the HTTP API is running already</translation>
    </message>
    <message>
        <source>a token name must have 1 to 100 characters</source>
        <translation>a token name must have 1 to 100 characters</translation>
    </message>
    <message>
        <source>a token named &quot;%1&quot; exists already</source>
        <translation>a token named &quot;%1&quot; exists already</translation>
    </message>
    <message>
        <source>not a valid PostgreSQL URL: %1</source>
        <translation>not a valid PostgreSQL URL: %1</translation>
    </message>
    <message>
        <source>invalid value of the PostgreSQL URL parameter %1</source>
        <translation>invalid value of the PostgreSQL URL parameter %1</translation>
    </message>
    <message>
        <source>unsupported PostgreSQL URL parameter: %1</source>
        <translation>unsupported PostgreSQL URL parameter: %1</translation>
    </message>
    <message>
        <source>the PostgreSQL URL holds a control character (such as %00)</source>
        <translation>the PostgreSQL URL holds a control character (such as %00)</translation>
    </message>
    <message>
        <source>invalid PostgreSQL port</source>
        <translation>invalid PostgreSQL port</translation>
    </message>
    <message>
        <source>the PostgreSQL URL names no database</source>
        <translation>the PostgreSQL URL names no database</translation>
    </message>
    <message>
        <source>empty database URL</source>
        <translation>empty database URL</translation>
    </message>
    <message>
        <source>unsupported database URL scheme: %1</source>
        <translation>unsupported database URL scheme: %1</translation>
    </message>
    <message>
        <source>the SQLite URL names no file</source>
        <translation>the SQLite URL names no file</translation>
    </message>
    <message>
        <source>the SQLite path holds a control character (such as %00)</source>
        <translation>the SQLite path holds a control character (such as %00)</translation>
    </message>
    <message>
        <source>1 to 1,000,000 keys</source>
        <translation>1 to 1,000,000 keys</translation>
    </message>
    <message>
        <source>the tables belong to a gateway; demo data goes only into the console&apos;s own database</source>
        <translation>the tables belong to a gateway; demo data goes only into the console&apos;s own database</translation>
    </message>
    <message>
        <source>the database holds keys already; demo data goes only into an empty database</source>
        <translation>the database holds keys already; demo data goes only into an empty database</translation>
    </message>
    <message>
        <source>refusing to listen on %1: AETHER_CONSOLE_TOKEN has %2 characters, at least %3 are needed beyond loopback</source>
        <translation>refusing to listen on %1: AETHER_CONSOLE_TOKEN has %2 characters, at least %3 are needed beyond loopback</translation>
    </message>
    <message>
        <source>refusing to listen on %1 without any API token: create one with --create-token NAME or set AETHER_CONSOLE_TOKEN</source>
        <translation>refusing to listen on %1 without any API token: create one with --create-token NAME or set AETHER_CONSOLE_TOKEN</translation>
    </message>
    <message>
        <source>no token named &quot;%1&quot;</source>
        <translation>no token named &quot;%1&quot;</translation>
    </message>
    <message>
        <source>the Qt SQL driver %1 is not installed</source>
        <translation>the Qt SQL driver %1 is not installed</translation>
    </message>
    <message>
        <source>cannot create the folder %1</source>
        <translation>cannot create the folder %1</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database</source>
        <translation>%1 is not an SQLite database</translation>
    </message>
    <message>
        <source>the database is not open</source>
        <translation>the database is not open</translation>
    </message>
    <message>
        <source>bulk changes need a database file or server</source>
        <translation>bulk changes need a database file or server</translation>
    </message>
    <message>
        <source>the console does not know this change</source>
        <translation>the console does not know this change</translation>
    </message>
    <message>
        <source>a page of the key table needs a limit</source>
        <translation>a page of the key table needs a limit</translation>
    </message>
    <message>
        <source>key %1 disappeared while it was locked</source>
        <translation>key %1 disappeared while it was locked</translation>
    </message>
    <message>
        <source>the file cannot be opened: %1</source>
        <translation>the file cannot be opened: %1</translation>
    </message>
    <message>
        <source>the file is larger than 1 MiB</source>
        <translation>the file is larger than 1 MiB</translation>
    </message>
    <message>
        <source>the file is not valid JSON: %1 at byte %2</source>
        <translation>the file is not valid JSON: %1 at byte %2</translation>
    </message>
    <message>
        <source>the file holds no JSON object</source>
        <translation>the file holds no JSON object</translation>
    </message>
    <message>
        <source>the database is unavailable; waiting before connecting again</source>
        <translation>the database is unavailable; waiting before connecting again</translation>
    </message>
    <message>
        <source>%1 (waiting before connecting again)</source>
        <translation>%1 (waiting before connecting again)</translation>
    </message>
    <message>
        <source>the file cannot be written: %1</source>
        <translation>the file cannot be written: %1</translation>
    </message>
    <message>
        <source>%1.</source>
        <extracomment>A sentence of the console&apos;s own (often lower-case, as it also follows a colon) shown on its own.</extracomment>
        <translation>%1.</translation>
    </message>
    <message>
        <source>The file %1 cannot be written: %2</source>
        <translation>The file %1 cannot be written: %2</translation>
    </message>
    <message>
        <source>The disk holding the database is full: %1</source>
        <translation>The disk holding the database is full: %1</translation>
    </message>
    <message>
        <source>The database file is damaged: %1</source>
        <translation>The database file is damaged: %1</translation>
    </message>
    <message>
        <source>The database cannot be written (read-only): %1</source>
        <translation>The database cannot be written (read-only): %1</translation>
    </message>
    <message>
        <source>cannot listen on %1: %2</source>
        <translation>cannot listen on %1: %2</translation>
    </message>
    <message>
        <source>%1 cannot be read: %2</source>
        <translation>%1 cannot be read: %2</translation>
    </message>
    <message>
        <source>%1 is too large for a PEM file</source>
        <translation>%1 is too large for a PEM file</translation>
    </message>
    <message>
        <source>TLS is not available: Qt found no TLS backend (%1)</source>
        <translation>TLS is not available: Qt found no TLS backend (%1)</translation>
    </message>
    <message>
        <source>%1 holds no PEM certificate</source>
        <translation>%1 holds no PEM certificate</translation>
    </message>
    <message>
        <source>%1 holds no unencrypted PEM private key</source>
        <translation>%1 holds no unencrypted PEM private key</translation>
    </message>
    <message>
        <source>“%1”</source>
        <extracomment>Quotes the words of a database driver or of Qt (often English) after a sentence of the console&apos;s own.</extracomment>
        <translation>“%1”</translation>
    </message>
    <message>
        <source>%1 is missing</source>
        <translation>%1 is missing</translation>
    </message>
    <message>
        <source>%1 must be at least %2</source>
        <translation>%1 must be at least %2</translation>
    </message>
    <message>
        <source>%1 must be at most %2</source>
        <translation>%1 must be at most %2</translation>
    </message>
    <message>
        <source>%1 must be greater than %2</source>
        <translation>%1 must be greater than %2</translation>
    </message>
    <message>
        <source>%1 must be less than %2</source>
        <translation>%1 must be less than %2</translation>
    </message>
    <message>
        <source>%1 must be a whole number</source>
        <translation>%1 must be a whole number</translation>
    </message>
    <message>
        <source>%1 must be a number</source>
        <translation>%1 must be a number</translation>
    </message>
    <message>
        <source>%1 must be text</source>
        <translation>%1 must be text</translation>
    </message>
    <message>
        <source>%1 must be a JSON object</source>
        <translation>%1 must be a JSON object</translation>
    </message>
    <message>
        <source>%1 must be a list</source>
        <translation>%1 must be a list</translation>
    </message>
    <message>
        <source>%1 is not a known setting</source>
        <translation>%1 is not a known setting</translation>
    </message>
    <message>
        <source>%1 must be one of: %2</source>
        <translation>%1 must be one of: %2</translation>
    </message>
    <message>
        <source>%1 is not valid JSON</source>
        <translation>%1 is not valid JSON</translation>
    </message>
    <message>
        <source>a fixed limit is needed in fixed-limit mode</source>
        <translation>a fixed limit is needed in fixed-limit mode</translation>
    </message>
    <message>
        <source>%1 is not valid</source>
        <translation>%1 is not valid</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <extracomment>%1 is the console&apos;s sentence, %2 the quoted words of Qt or of a parser.</extracomment>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>the input must be a JSON object</source>
        <translation>the input must be a JSON object</translation>
    </message>
    <message>
        <source>the input is not valid JSON</source>
        <translation>the input is not valid JSON</translation>
    </message>
    <message>
        <source>the input is not valid</source>
        <translation>the input is not valid</translation>
    </message>
    <message>
        <source>, </source>
        <extracomment>Separates the allowed values of a setting (&quot;a, b, c&quot;).</extracomment>
        <translation>, </translation>
    </message>
    <message>
        <source>%1 has too many items (at most %2)</source>
        <translation>%1 has too many items (at most %2)</translation>
    </message>
</context>
<context>
    <name>HttpMessage</name>
    <message>
        <source>Missing admin credentials</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Missing admin credentials</translation>
    </message>
    <message>
        <source>Invalid token</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Invalid token</translation>
    </message>
    <message>
        <source>Admin privileges required</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Admin privileges required</translation>
    </message>
    <message>
        <source>Request body must not be empty</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Request body must not be empty</translation>
    </message>
    <message>
        <source>Request body must be valid JSON</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Request body must be valid JSON</translation>
    </message>
    <message>
        <source>Request body too large</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Request body too large</translation>
    </message>
    <message>
        <source>fixed_limit is required when disabling adaptive mode</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>fixed_limit is required when disabling adaptive mode</translation>
    </message>
    <message>
        <source>Database connection error, retrying...</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Database connection error, retrying...</translation>
    </message>
    <message>
        <source>Switched to adaptive mode; the concurrency limit will be learned and adjusted automatically</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Switched to adaptive mode; the concurrency limit will be learned and adjusted automatically</translation>
    </message>
    <message>
        <source>Switched to fixed-limit mode; concurrency limit set to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Switched to fixed-limit mode; concurrency limit set to %1</translation>
    </message>
    <message>
        <source>Set to fixed-limit mode with a concurrency limit of %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Set to fixed-limit mode with a concurrency limit of %1</translation>
    </message>
    <message>
        <source>Learning state reset</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Learning state reset</translation>
    </message>
    <message>
        <source>enabled</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>enabled</translation>
    </message>
    <message>
        <source>fixed_limit</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>fixed_limit</translation>
    </message>
    <message>
        <source>Field required</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Field required</translation>
    </message>
    <message>
        <source>Input should be a valid boolean</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid boolean</translation>
    </message>
    <message>
        <source>Input should be a valid boolean, unable to interpret input</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid boolean, unable to interpret input</translation>
    </message>
    <message>
        <source>Input should be a valid integer</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid integer</translation>
    </message>
    <message>
        <source>Input should be a valid integer, unable to parse string as an integer</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid integer, unable to parse string as an integer</translation>
    </message>
    <message>
        <source>Input should be a valid integer, got a number with a fractional part</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid integer, got a number with a fractional part</translation>
    </message>
    <message>
        <source>Input should be greater than or equal to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be greater than or equal to %1</translation>
    </message>
    <message>
        <source>Input should be less than or equal to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be less than or equal to %1</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary or instance of EnableAdaptiveRequest</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid dictionary or instance of EnableAdaptiveRequest</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>Input should be a valid dictionary</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary or instance of %1</source>
        <translation>Input should be a valid dictionary or instance of %1</translation>
    </message>
    <message>
        <source>Input should be greater than %1</source>
        <translation>Input should be greater than %1</translation>
    </message>
    <message>
        <source>Input should be less than %1</source>
        <translation>Input should be less than %1</translation>
    </message>
    <message>
        <source>Input should be a valid number</source>
        <translation>Input should be a valid number</translation>
    </message>
    <message>
        <source>Input should be a valid string</source>
        <translation>Input should be a valid string</translation>
    </message>
    <message>
        <source>Input should be a valid list</source>
        <translation>Input should be a valid list</translation>
    </message>
    <message>
        <source>List should have at most %1 items</source>
        <translation>List should have at most %1 items</translation>
    </message>
    <message>
        <source>Extra inputs are not permitted</source>
        <translation>Extra inputs are not permitted</translation>
    </message>
    <message>
        <source>Input should be %1</source>
        <translation>Input should be %1</translation>
    </message>
    <message>
        <source>Malformed HTTP request</source>
        <translation>Malformed HTTP request</translation>
    </message>
    <message>
        <source>The request was not received in time</source>
        <translation>The request was not received in time</translation>
    </message>
    <message>
        <source>Request header too large</source>
        <translation>Request header too large</translation>
    </message>
    <message>
        <source>Transfer encoding not supported</source>
        <translation>Transfer encoding not supported</translation>
    </message>
    <message>
        <source>Server busy, try again later</source>
        <translation>Server busy, try again later</translation>
    </message>
    <message>
        <source>Too many connections, try again later</source>
        <translation>Too many connections, try again later</translation>
    </message>
    <message>
        <source>Too many failed authentication attempts, try again later</source>
        <translation>Too many failed authentication attempts, try again later</translation>
    </message>
    <message>
        <source>Database error (reference %1)</source>
        <translation>Database error (reference %1)</translation>
    </message>
</context>
<context>
    <name>KeyChange</name>
    <message>
        <source>Switched to adaptive mode; nothing learned yet.</source>
        <translation>Switched to adaptive mode; nothing learned yet.</translation>
    </message>
    <message>
        <source>Switched to adaptive mode; the learned limit %1 applies.</source>
        <translation>Switched to adaptive mode; the learned limit %1 applies.</translation>
    </message>
    <message>
        <source>Switched to fixed mode with a limit of %1.</source>
        <translation>Switched to fixed mode with a limit of %1.</translation>
    </message>
    <message>
        <source>Fixed limit set to %1.</source>
        <translation>Fixed limit set to %1.</translation>
    </message>
    <message>
        <source>Learning state reset; the mode is unchanged.</source>
        <translation>Learning state reset; the mode is unchanged.</translation>
    </message>
</context>
<context>
    <name>KeyDetailWidget</name>
    <message>
        <source>No key selected</source>
        <translation>No key selected</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Statistics</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>Mode:</translation>
    </message>
    <message>
        <source>Max concurrent:</source>
        <translation>Max concurrent:</translation>
    </message>
    <message>
        <source>Effective limit:</source>
        <translation>Effective limit:</translation>
    </message>
    <message>
        <source>Learned limit:</source>
        <translation>Learned limit:</translation>
    </message>
    <message>
        <source>Concurrency 429s:</source>
        <translation>Concurrency 429s:</translation>
    </message>
    <message>
        <source>RPM 429s:</source>
        <translation>RPM 429s:</translation>
    </message>
    <message>
        <source>Last 429:</source>
        <translation>Last 429:</translation>
    </message>
    <message>
        <source>Last 429 type:</source>
        <translation>Last 429 type:</translation>
    </message>
    <message>
        <source>Adjustments:</source>
        <translation>Adjustments:</translation>
    </message>
    <message>
        <source>Concurrency control</source>
        <translation>Concurrency control</translation>
    </message>
    <message>
        <source>&amp;Adaptive (learn the limit from 429 responses)</source>
        <translation>&amp;Adaptive (learn the limit from 429 responses)</translation>
    </message>
    <message>
        <source>&amp;Reset learning…</source>
        <translation>&amp;Reset learning…</translation>
    </message>
    <message>
        <source>A&amp;pply</source>
        <translation>A&amp;pply</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Change</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Fixed &amp;limit:</source>
        <translation>Fixed &amp;limit:</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Aether Console</source>
        <translation>Aether Console</translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation>&amp;Retry</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Keys</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Endpoint</translation>
    </message>
    <message>
        <source>Search name or key ID</source>
        <translation>Search name or key ID</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>Mode:</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>Summary</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Language</translation>
    </message>
    <message>
        <source>&amp;Key</source>
        <translation>&amp;Key</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>Toolbar</source>
        <translation>Toolbar</translation>
    </message>
    <message>
        <source>&amp;Export table as CSV…</source>
        <translation>&amp;Export table as CSV…</translation>
    </message>
    <message>
        <source>Save &amp;chart as PNG…</source>
        <translation>Save &amp;chart as PNG…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Settings…</translation>
    </message>
    <message>
        <source>Access &amp;tokens…</source>
        <translation>Access &amp;tokens…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Refresh</translation>
    </message>
    <message>
        <source>&amp;Auto refresh</source>
        <translation>&amp;Auto refresh</translation>
    </message>
    <message>
        <source>&amp;Keys</source>
        <translation>&amp;Keys</translation>
    </message>
    <message>
        <source>&amp;Summary</source>
        <translation>&amp;Summary</translation>
    </message>
    <message>
        <source>&amp;System</source>
        <translation>&amp;System</translation>
    </message>
    <message>
        <source>Switch &amp;mode</source>
        <translation>Switch &amp;mode</translation>
    </message>
    <message>
        <source>Set fixed &amp;limit…</source>
        <translation>Set fixed &amp;limit…</translation>
    </message>
    <message>
        <source>&amp;Reset learning…</source>
        <translation>&amp;Reset learning…</translation>
    </message>
    <message>
        <source>&amp;Copy key ID</source>
        <translation>&amp;Copy key ID</translation>
    </message>
    <message>
        <source>&amp;About Aether Console</source>
        <translation>&amp;About Aether Console</translation>
    </message>
    <message>
        <source>Learning policy</source>
        <translation>Learning policy</translation>
    </message>
    <message>
        <source>Learning &amp;policy</source>
        <translation>Learning &amp;policy</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>Audit</translation>
    </message>
    <message>
        <source>Select &amp;all shown</source>
        <translation>Select &amp;all shown</translation>
    </message>
    <message>
        <source>Select every key the table shows with its filter, including rows not loaded yet, for a change of them all</source>
        <translation>Select every key the table shows with its filter, including rows not loaded yet, for a change of them all</translation>
    </message>
    <message>
        <source>HTTP &amp;API</source>
        <translation>HTTP &amp;API</translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation>Simulator</translation>
    </message>
    <message>
        <source>Si&amp;mulator</source>
        <translation>Si&amp;mulator</translation>
    </message>
    <message>
        <source>HTTP AP&amp;I</source>
        <translation>HTTP AP&amp;I</translation>
    </message>
    <message>
        <source>A&amp;udit</source>
        <translation>A&amp;udit</translation>
    </message>
</context>
<context>
    <name>PolicyPage</name>
    <message>
        <source>How every console and gateway on this database learns the limits of adaptive keys. Changes apply to the next event of each key; limits already learned are kept.</source>
        <translation>How every console and gateway on this database learns the limits of adaptive keys. Changes apply to the next event of each key; limits already learned are kept.</translation>
    </message>
    <message>
        <source>Limits and decreases</source>
        <translation>Limits and decreases</translation>
    </message>
    <message>
        <source>Initial limit</source>
        <translation>Initial limit</translation>
    </message>
    <message>
        <source>Minimum limit</source>
        <translation>Minimum limit</translation>
    </message>
    <message>
        <source>Maximum limit</source>
        <translation>Maximum limit</translation>
    </message>
    <message>
        <source>Increase step</source>
        <translation>Increase step</translation>
    </message>
    <message>
        <source>Decrease factor after a concurrency 429</source>
        <translation>Decrease factor after a concurrency 429</translation>
    </message>
    <message>
        <source>Decrease factor after an unknown 429</source>
        <translation>Decrease factor after an unknown 429</translation>
    </message>
    <message>
        <source>Increases</source>
        <translation>Increases</translation>
    </message>
    <message>
        <source>Cooldown after a 429</source>
        <translation>Cooldown after a 429</translation>
    </message>
    <message>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <source>Utilisation window: samples</source>
        <translation>Utilisation window: samples</translation>
    </message>
    <message>
        <source>Utilisation window: seconds</source>
        <translation>Utilisation window: seconds</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>High utilisation threshold</source>
        <translation>High utilisation threshold</translation>
    </message>
    <message>
        <source>Share of high samples for an increase</source>
        <translation>Share of high samples for an increase</translation>
    </message>
    <message>
        <source>Samples needed for a decision</source>
        <translation>Samples needed for a decision</translation>
    </message>
    <message>
        <source>Probing and history</source>
        <translation>Probing and history</translation>
    </message>
    <message>
        <source>Probe interval</source>
        <translation>Probe interval</translation>
    </message>
    <message>
        <source>Samples needed for a probe</source>
        <translation>Samples needed for a probe</translation>
    </message>
    <message>
        <source>Mean utilisation needed for a probe</source>
        <translation>Mean utilisation needed for a probe</translation>
    </message>
    <message>
        <source>Adjustment records kept</source>
        <translation>Adjustment records kept</translation>
    </message>
    <message>
        <source>Strategy</source>
        <translation>Strategy</translation>
    </message>
    <message>
        <source>Reset to defaults…</source>
        <translation>Reset to defaults…</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>Revert</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Apply</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Aether Console</source>
        <translation>Aether Console</translation>
    </message>
    <message>
        <source>The database address is not valid: %1</source>
        <translation>The database address is not valid: %1</translation>
    </message>
    <message>
        <source>A new console database was created at %1.

Fill it with demo data (3 providers, 5 endpoints, 40 keys with histories) to look around?</source>
        <translation>A new console database was created at %1.

Fill it with demo data (3 providers, 5 endpoints, 40 keys with histories) to look around?</translation>
    </message>
</context>
<context>
    <name>QProgressDialog</name>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>Reason</name>
    <message>
        <source>Concurrency 429</source>
        <translation>Concurrency 429</translation>
    </message>
    <message>
        <source>Unknown 429</source>
        <translation>Unknown 429</translation>
    </message>
    <message>
        <source>High utilisation</source>
        <translation>High utilisation</translation>
    </message>
    <message>
        <source>Probe increase</source>
        <translation>Probe increase</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Database</translation>
    </message>
    <message>
        <source>&amp;Embedded SQLite file</source>
        <translation>&amp;Embedded SQLite file</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>File:</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>&amp;Browse…</translation>
    </message>
    <message>
        <source>&amp;PostgreSQL server</source>
        <translation>&amp;PostgreSQL server</translation>
    </message>
    <message>
        <source>Host:</source>
        <translation>Host:</translation>
    </message>
    <message>
        <source>localhost or /run/postgresql</source>
        <translation>localhost or /run/postgresql</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>Database:</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>User:</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>Password:</translation>
    </message>
    <message>
        <source>&amp;Test connection</source>
        <translation>&amp;Test connection</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>Address:</translation>
    </message>
    <message>
        <source>View</source>
        <translation>View</translation>
    </message>
    <message>
        <source>Refresh automatically</source>
        <translation>Refresh automatically</translation>
    </message>
    <message>
        <source>Refresh every:</source>
        <translation>Refresh every:</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Language:</translation>
    </message>
    <message>
        <source>TLS certificate:</source>
        <translation>TLS certificate:</translation>
    </message>
    <message>
        <source>PEM file; empty: plain HTTP</source>
        <translation>PEM file; empty: plain HTTP</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>TLS private key:</source>
        <translation>TLS private key:</translation>
    </message>
    <message>
        <source>PEM file of the certificate&apos;s key</source>
        <translation>PEM file of the certificate&apos;s key</translation>
    </message>
    <message>
        <source>HTTP API</source>
        <translation>HTTP API</translation>
    </message>
    <message>
        <source>Start the HTTP API when the console opens</source>
        <translation>Start the HTTP API when the console opens</translation>
    </message>
    <message>
        <source>Keep 429s over time:</source>
        <translation>Keep 429s over time:</translation>
    </message>
    <message>
        <source> days</source>
        <translation> days</translation>
    </message>
    <message>
        <source>How long the time series of each key&apos;s 429s, adjustments and limit is kept (older than 48 hours it is kept by the hour). Applies to this console&apos;s own cleanup; --retention-days overrides it.</source>
        <translation>How long the time series of each key&apos;s 429s, adjustments and limit is kept (older than 48 hours it is kept by the hour). Applies to this console&apos;s own cleanup; --retention-days overrides it.</translation>
    </message>
</context>
<context>
    <name>Signal</name>
    <message>
        <source>nothing worked at this concurrency lately: held just below it</source>
        <translation>nothing worked at this concurrency lately: held just below it</translation>
    </message>
    <message>
        <source>the probe one above the hold failed: the next one waits longer</source>
        <translation>the probe one above the hold failed: the next one waits longer</translation>
    </message>
    <message>
        <source>it worked at this concurrency a moment ago: the capacity fell</source>
        <translation>it worked at this concurrency a moment ago: the capacity fell</translation>
    </message>
    <message>
        <source>another 429 of the same fall: the capacity is lower still</source>
        <translation>another 429 of the same fall: the capacity is lower still</translation>
    </message>
    <message>
        <source>the limit binds and no ceiling is known: grown</source>
        <translation>the limit binds and no ceiling is known: grown</translation>
    </message>
    <message>
        <source>busy before any 429: held at the policy&apos;s maximum</source>
        <translation>busy before any 429: held at the policy&apos;s maximum</translation>
    </message>
    <message>
        <source>the hold has passed: one slot above, to see whether the capacity rose</source>
        <translation>the hold has passed: one slot above, to see whether the capacity rose</translation>
    </message>
    <message>
        <source>faster per token at the same concurrency: probed early</source>
        <translation>faster per token at the same concurrency: probed early</translation>
    </message>
    <message>
        <source>a probe worked far below the best level: back to it</source>
        <translation>a probe worked far below the best level: back to it</translation>
    </message>
</context>
<context>
    <name>Strategy</name>
    <message>
        <source>holds just below the concurrency at which 429s came, probes above it rarely; about half the reference&apos;s 429s</source>
        <translation>holds just below the concurrency at which 429s came, probes above it rarely; about half the reference&apos;s 429s</translation>
    </message>
    <message>
        <source>the original service&apos;s algorithm, bit for bit</source>
        <translation>the original service&apos;s algorithm, bit for bit</translation>
    </message>
    <message>
        <source>the original algorithm, but a 429 never raises the limit</source>
        <translation>the original algorithm, but a 429 never raises the limit</translation>
    </message>
</context>
<context>
    <name>SummaryPage</name>
    <message>
        <source>Adaptive keys of all endpoints</source>
        <translation>Adaptive keys of all endpoints</translation>
    </message>
    <message>
        <source>Adaptive keys</source>
        <translation>Adaptive keys</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Key</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Change</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Fixed keys</source>
        <translation>Fixed keys</translation>
    </message>
    <message>
        <source>Concurrency 429s of adaptive keys</source>
        <translation>Concurrency 429s of adaptive keys</translation>
    </message>
    <message>
        <source>RPM 429s of adaptive keys</source>
        <translation>RPM 429s of adaptive keys</translation>
    </message>
    <message>
        <source>Adjustments of adaptive keys</source>
        <translation>Adjustments of adaptive keys</translation>
    </message>
    <message>
        <source>Most recent adjustments of adaptive keys</source>
        <translation>Most recent adjustments of adaptive keys</translation>
    </message>
</context>
<context>
    <name>TokenDialog</name>
    <message>
        <source>Access tokens</source>
        <translation>Access tokens</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>Last used</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>Role:</translation>
    </message>
    <message>
        <source>&amp;Create</source>
        <translation>&amp;Create</translation>
    </message>
    <message>
        <source>&amp;Revoke…</source>
        <translation>&amp;Revoke…</translation>
    </message>
    <message>
        <source>New token (shown only now)</source>
        <translation>New token (shown only now)</translation>
    </message>
    <message>
        <source>Co&amp;py</source>
        <translation>Co&amp;py</translation>
    </message>
    <message>
        <source>Admin</source>
        <translation>Admin</translation>
    </message>
    <message>
        <source>Viewer (read only)</source>
        <translation>Viewer (read only)</translation>
    </message>
    <message>
        <source>Gateway (events and limits)</source>
        <translation>Gateway (events and limits)</translation>
    </message>
    <message>
        <source>Scripts and gateways call the HTTP API with one of these tokens (Authorization: Bearer …). Only a hash of each token is stored.</source>
        <translation>Scripts and gateways call the HTTP API with one of these tokens (Authorization: Bearer …). Only a hash of each token is stored.</translation>
    </message>
</context>
<context>
    <name>aether::gui::AuditPage</name>
    <message>
        <source>adaptive</source>
        <translation>adaptive</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>no</source>
        <translation>no</translation>
    </message>
    <message>
        <source>Mode switched</source>
        <translation>Mode switched</translation>
    </message>
    <message>
        <source>Fixed limit set</source>
        <translation>Fixed limit set</translation>
    </message>
    <message>
        <source>Learning reset</source>
        <translation>Learning reset</translation>
    </message>
    <message>
        <source>Policy changed</source>
        <translation>Policy changed</translation>
    </message>
    <message>
        <source>Policy reset to defaults</source>
        <translation>Policy reset to defaults</translation>
    </message>
    <message>
        <source>no change</source>
        <extracomment>separates the fields of one audit entry</extracomment>
        <translation>no change</translation>
    </message>
    <message>
        <source>A&amp;ctor:</source>
        <translation>A&amp;ctor:</translation>
    </message>
    <message>
        <source>Ac&amp;tion:</source>
        <translation>Ac&amp;tion:</translation>
    </message>
    <message>
        <source>&amp;Period:</source>
        <translation>&amp;Period:</translation>
    </message>
    <message>
        <source>Key id</source>
        <translation>Key id</translation>
    </message>
    <message>
        <source>Only the changes of the key with this id</source>
        <translation>Only the changes of the key with this id</translation>
    </message>
    <message>
        <source>e.g. token:ops or gui:*</source>
        <translation>e.g. token:ops or gui:*</translation>
    </message>
    <message>
        <source>Who made the change: exactly this actor, or all actors that start with the text before a final *</source>
        <translation>Who made the change: exactly this actor, or all actors that start with the text before a final *</translation>
    </message>
    <message>
        <source>All actions</source>
        <translation>All actions</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>Any time</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Last hour</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Last 24 hours</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Last 7 days</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Last 30 days</translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation>E&amp;xport CSV…</translation>
    </message>
    <message>
        <source>Write every entry the filter selects (all pages) to a CSV file</source>
        <translation>Write every entry the filter selects (all pages) to a CSV file</translation>
    </message>
    <message>
        <source>← Newer</source>
        <translation>← Newer</translation>
    </message>
    <message>
        <source>Older →</source>
        <translation>Older →</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>Actor</source>
        <translation>Actor</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Key</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Change</translation>
    </message>
    <message>
        <source>token:&lt;name&gt; for the HTTP API, gui:&lt;user&gt;@&lt;host&gt; for the window, cli for the command line</source>
        <translation>token:&lt;name&gt; for the HTTP API, gui:&lt;user&gt;@&lt;host&gt; for the window, cli for the command line</translation>
    </message>
    <message>
        <source>The stored values before → after the change</source>
        <translation>The stored values before → after the change</translation>
    </message>
    <message>
        <source>(policy)</source>
        <translation>(policy)</translation>
    </message>
    <message>
        <source>%1
id %2</source>
        <translation>%1
id %2</translation>
    </message>
    <message>
        <source>id %1 (no longer in the database)</source>
        <translation>id %1 (no longer in the database)</translation>
    </message>
    <message>
        <source>No changes recorded for this filter.</source>
        <translation>No changes recorded for this filter.</translation>
    </message>
    <message>
        <source>Entries %1–%2, newest first</source>
        <translation>Entries %1–%2, newest first</translation>
    </message>
    <message>
        <source>Export audit log as CSV</source>
        <translation>Export audit log as CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Exporting the audit log…</source>
        <translation>Exporting the audit log…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Exporting the audit log… %1 entries</source>
        <translation>Exporting the audit log… %1 entries</translation>
    </message>
    <message>
        <source>Max concurrent</source>
        <translation>Max concurrent</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>Learned limit</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <extracomment>a field of an audit entry: its name, the value before and the value after the change</extracomment>
        <translation>%1: %2 → %3</translation>
    </message>
    <message>
        <source>; </source>
        <translation>; </translation>
    </message>
    <message>
        <source>K&amp;ey:</source>
        <translation>K&amp;ey:</translation>
    </message>
</context>
<context>
    <name>aether::gui::EndpointControl</name>
    <message>
        <source>HTTP API</source>
        <translation>HTTP API</translation>
    </message>
    <message>
        <source>The HTTP API could not start on %1:%2.
%3</source>
        <translation>The HTTP API could not start on %1:%2.
%3</translation>
    </message>
    <message>
        <source>HTTP API: %1://%2:%3</source>
        <translation>HTTP API: %1://%2:%3</translation>
    </message>
    <message>
        <source>HTTP API: off</source>
        <translation>HTTP API: off</translation>
    </message>
    <message>
        <source>Stop HTTP &amp;API</source>
        <translation>Stop HTTP &amp;API</translation>
    </message>
    <message>
        <source>Start HTTP &amp;API</source>
        <translation>Start HTTP &amp;API</translation>
    </message>
</context>
<context>
    <name>aether::gui::HistoryChartView</name>
    <message>
        <source>Limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>Time (local)</source>
        <translation>Time (local)</translation>
    </message>
    <message>
        <source>Adjustment history</source>
        <translation>Adjustment history</translation>
    </message>
    <message>
        <source>Adjustment history: none yet</source>
        <translation>Adjustment history: none yet</translation>
    </message>
    <message>
        <source>Adjustment history of %1</source>
        <translation>Adjustment history of %1</translation>
    </message>
    <message>
        <source>Operator change</source>
        <translation>Operator change</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyDetailWidget</name>
    <message>
        <source>No key selected</source>
        <translation>No key selected</translation>
    </message>
    <message>
        <source>never</source>
        <translation>never</translation>
    </message>
    <message>
        <source>The gateway learns this key&apos;s limit from its 429 responses and how busy it is.</source>
        <translation>The gateway learns this key&apos;s limit from its 429 responses and how busy it is.</translation>
    </message>
    <message>
        <source>The gateway never sends more than this many requests at once with this key (%1–%2). What was learned is kept.</source>
        <translation>The gateway never sends more than this many requests at once with this key (%1–%2). What was learned is kept.</translation>
    </message>
    <message>
        <source>Reset learning</source>
        <translation>Reset learning</translation>
    </message>
    <message>
        <source>Reset what was learned for %1?</source>
        <translation>Reset what was learned for %1?</translation>
    </message>
    <message>
        <source>This clears the learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples.

The mode (%1) and the fixed limit stay as they are.</source>
        <translation>This clears the learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples.

The mode (%1) and the fixed limit stay as they are.</translation>
    </message>
    <message>
        <source>Save learned state…</source>
        <translation>Save learned state…</translation>
    </message>
    <message>
        <source>Write everything the reset clears (limit, counters, history, samples) to a JSON file first</source>
        <translation>Write everything the reset clears (limit, counters, history, samples) to a JSON file first</translation>
    </message>
    <message>
        <source>Save learned state</source>
        <translation>Save learned state</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>JSON files (*.json)</translation>
    </message>
    <message>
        <source>Learned state of %1 saved to %2</source>
        <translation>Learned state of %1 saved to %2</translation>
    </message>
    <message>
        <source>— (no limit until one is learned; the learning starts from %1)</source>
        <translation>— (no limit until one is learned; the learning starts from %1)</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyFilterBar</name>
    <message>
        <source>Active and inactive</source>
        <translation>Active and inactive</translation>
    </message>
    <message>
        <source>Active only</source>
        <translation>Active only</translation>
    </message>
    <message>
        <source>Inactive only</source>
        <translation>Inactive only</translation>
    </message>
    <message>
        <source>The gateway&apos;s is_active flag of each key</source>
        <translation>The gateway&apos;s is_active flag of each key</translation>
    </message>
    <message>
        <source>429s ≥</source>
        <translation>429s ≥</translation>
    </message>
    <message>
        <source>any</source>
        <translation>any</translation>
    </message>
    <message>
        <source>Keys with at least this many 429 responses (concurrency and RPM together)</source>
        <translation>Keys with at least this many 429 responses (concurrency and RPM together)</translation>
    </message>
    <message>
        <source>Last 429: any time</source>
        <translation>Last 429: any time</translation>
    </message>
    <message>
        <source>Last 429: past hour</source>
        <translation>Last 429: past hour</translation>
    </message>
    <message>
        <source>Last 429: past 24 hours</source>
        <translation>Last 429: past 24 hours</translation>
    </message>
    <message>
        <source>Last 429: past 7 days</source>
        <translation>Last 429: past 7 days</translation>
    </message>
    <message>
        <source>Keys whose last 429 response came within this period</source>
        <translation>Keys whose last 429 response came within this period</translation>
    </message>
    <message>
        <source>Any 429 type</source>
        <translation>Any 429 type</translation>
    </message>
    <message>
        <source>The type of each key&apos;s last 429</source>
        <translation>The type of each key&apos;s last 429</translation>
    </message>
    <message>
        <source>At the minimum limit</source>
        <translation>At the minimum limit</translation>
    </message>
    <message>
        <source>Adaptive keys whose learned limit is down at the learning policy&apos;s minimum limit</source>
        <translation>Adaptive keys whose learned limit is down at the learning policy&apos;s minimum limit</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyTableModel</name>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Provider</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Endpoint</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Mode</translation>
    </message>
    <message>
        <source>Max concurrent</source>
        <translation>Max concurrent</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>Learned limit</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>Effective limit</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>Concurrency 429s</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429s</translation>
    </message>
    <message>
        <source>Last 429</source>
        <translation>Last 429</translation>
    </message>
    <message>
        <source>Last 429 type</source>
        <translation>Last 429 type</translation>
    </message>
    <message>
        <source>Adjustments</source>
        <translation>Adjustments</translation>
    </message>
    <message>
        <source>Key ID</source>
        <translation>Key ID</translation>
    </message>
    <message>
        <source>Endpoint ID</source>
        <translation>Endpoint ID</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>Adaptive</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>Fixed</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>Concurrency</translation>
    </message>
    <message>
        <source>RPM</source>
        <translation>RPM</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>The key&apos;s name in the gateway</source>
        <translation>The key&apos;s name in the gateway</translation>
    </message>
    <message>
        <source>The provider the key&apos;s endpoint belongs to</source>
        <translation>The provider the key&apos;s endpoint belongs to</translation>
    </message>
    <message>
        <source>The provider&apos;s API endpoint (API format) the key is used for</source>
        <translation>The provider&apos;s API endpoint (API format) the key is used for</translation>
    </message>
    <message>
        <source>Adaptive: the limit is learned from 429 responses. Fixed: the limit is max concurrent</source>
        <translation>Adaptive: the limit is learned from 429 responses. Fixed: the limit is max concurrent</translation>
    </message>
    <message>
        <source>429 responses caused by too many concurrent requests, since the last reset</source>
        <translation>429 responses caused by too many concurrent requests, since the last reset</translation>
    </message>
    <message>
        <source>429 responses caused by the requests-per-minute limit, since the last reset</source>
        <translation>429 responses caused by the requests-per-minute limit, since the last reset</translation>
    </message>
    <message>
        <source>When the last 429 response came (local time)</source>
        <translation>When the last 429 response came (local time)</translation>
    </message>
    <message>
        <source>Whether the last 429 was a concurrency, an RPM or an unknown limit</source>
        <translation>Whether the last 429 was a concurrency, an RPM or an unknown limit</translation>
    </message>
    <message>
        <source>How many limit adjustments the kept history holds (the policy keeps the most recent ones)</source>
        <translation>How many limit adjustments the kept history holds (the policy keeps the most recent ones)</translation>
    </message>
    <message>
        <source>The fixed concurrency limit (1–100); — for adaptive keys</source>
        <translation>The fixed concurrency limit (1–100); — for adaptive keys</translation>
    </message>
    <message>
        <source>The concurrency limit learned so far; — until the first adjustment</source>
        <translation>The concurrency limit learned so far; — until the first adjustment</translation>
    </message>
    <message>
        <source>The limit the gateway enforces: max concurrent for fixed keys, the learned limit for adaptive keys (— while nothing is learned: no limit on the key)</source>
        <translation>The limit the gateway enforces: max concurrent for fixed keys, the learned limit for adaptive keys (— while nothing is learned: no limit on the key)</translation>
    </message>
    <message>
        <source>%1 (inactive: the gateway does not use this key)</source>
        <translation>%1 (inactive: the gateway does not use this key)</translation>
    </message>
    <message>
        <source>Whether the gateway uses the key (its is_active flag); inactive keys are drawn dimmed</source>
        <translation>Whether the gateway uses the key (its is_active flag); inactive keys are drawn dimmed</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
</context>
<context>
    <name>aether::gui::MainWindow</name>
    <message>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>Adaptive</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>Fixed</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>Database: %1</translation>
    </message>
    <message>
        <source>Refreshed at %1</source>
        <translation>Refreshed at %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;The database cannot be used.&lt;/b&gt; %1 Nothing was changed. Retry when it is back; the console also retries with each refresh.</source>
        <translation>&lt;b&gt;The database cannot be used.&lt;/b&gt; %1 Nothing was changed. Retry when it is back; the console also retries with each refresh.</translation>
    </message>
    <message>
        <source>Switch mode</source>
        <translation>Switch mode</translation>
    </message>
    <message>
        <source>Set fixed limit</source>
        <translation>Set fixed limit</translation>
    </message>
    <message>
        <source>Fixed concurrency limit (%1–%2):</source>
        <translation>Fixed concurrency limit (%1–%2):</translation>
    </message>
    <message>
        <source>Copied key ID %1</source>
        <translation>Copied key ID %1</translation>
    </message>
    <message>
        <source>Export table as CSV</source>
        <translation>Export table as CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Exporting keys…</source>
        <translation>Exporting keys…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n key(s) to %1</source>
        <translation>
            <numerusform>Exported %n key to %1</numerusform>
            <numerusform>Exported %n keys to %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Save chart as PNG</source>
        <translation>Save chart as PNG</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG images (*.png)</translation>
    </message>
    <message>
        <source>The image could not be written to %1.</source>
        <translation>The image could not be written to %1.</translation>
    </message>
    <message>
        <source>Chart saved to %1</source>
        <translation>Chart saved to %1</translation>
    </message>
    <message>
        <source>About Aether Console</source>
        <translation>About Aether Console</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Aether Console %1&lt;/h3&gt;&lt;p&gt;Administration of per-key adaptive concurrency for an LLM API gateway: see every key&apos;s state, switch modes, set limits, reset what was learned, and see why a limit moved.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Aether Console %1&lt;/h3&gt;&lt;p&gt;Administration of per-key adaptive concurrency for an LLM API gateway: see every key&apos;s state, switch modes, set limits, reset what was learned, and see why a limit moved.&lt;/p&gt;</translation>
    </message>
    <message numerus="yes">
        <source>All %1 key(s) shown are selected: a key action applies to every one of them.</source>
        <translation>
            <numerusform>All %1 key shown are selected: a key action applies to every one of them.</numerusform>
            <numerusform>All %1 keys shown are selected: a key action applies to every one of them.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The learning policy has %n edit(s) that are not applied; they are lost.</source>
        <translation>
            <numerusform>The learning policy has %n edit that are not applied; they are lost.</numerusform>
            <numerusform>The learning policy has %n edits that are not applied; they are lost.</numerusform>
        </translation>
    </message>
    <message>
        <source>Quit Aether Console</source>
        <translation>Quit Aether Console</translation>
    </message>
    <message>
        <source>Quit Aether Console?</source>
        <translation>Quit Aether Console?</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>The HTTP API on port %1 stops; scripts and gateways using it lose their connection.</source>
        <translation>The HTTP API on port %1 stops; scripts and gateways using it lose their connection.</translation>
    </message>
    <message>
        <source>&lt;h3&gt;No keys in this database yet&lt;/h3&gt;&lt;p&gt;The console shows the provider API keys of a gateway. To work with real keys, open the gateway&apos;s own database: &lt;b&gt;File → Settings… → Database&lt;/b&gt; (PostgreSQL; its tables are used as they are).&lt;/p&gt;&lt;p&gt;To look around first, fill an empty database with demo keys: &lt;code&gt;aether-console --database URL --prepare --demo&lt;/code&gt;, or start the console on a new SQLite file and accept the demo data.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;No keys in this database yet&lt;/h3&gt;&lt;p&gt;The console shows the provider API keys of a gateway. To work with real keys, open the gateway&apos;s own database: &lt;b&gt;File → Settings… → Database&lt;/b&gt; (PostgreSQL; its tables are used as they are).&lt;/p&gt;&lt;p&gt;To look around first, fill an empty database with demo keys: &lt;code&gt;aether-console --database URL --prepare --demo&lt;/code&gt;, or start the console on a new SQLite file and accept the demo data.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Saved &amp;Views</source>
        <translation>Saved &amp;Views</translation>
    </message>
    <message>
        <source>No saved views</source>
        <translation>No saved views</translation>
    </message>
    <message>
        <source>Save Current View…</source>
        <translation>Save Current View…</translation>
    </message>
    <message>
        <source>Delete View</source>
        <translation>Delete View</translation>
    </message>
    <message>
        <source>Save View</source>
        <translation>Save View</translation>
    </message>
    <message>
        <source>A name for the current filters, sort order and columns of the key table:</source>
        <translation>A name for the current filters, sort order and columns of the key table:</translation>
    </message>
    <message>
        <source>A view&apos;s name has 1 to %1 characters.</source>
        <translation>A view&apos;s name has 1 to %1 characters.</translation>
    </message>
    <message>
        <source>A view named “%1” exists. Replace it?</source>
        <translation>A view named “%1” exists. Replace it?</translation>
    </message>
    <message>
        <source>View “%1” saved</source>
        <translation>View “%1” saved</translation>
    </message>
    <message>
        <source>View “%1”</source>
        <translation>View “%1”</translation>
    </message>
    <message>
        <source>View “%1”: its provider or endpoint is gone; showing all endpoints</source>
        <translation>View “%1”: its provider or endpoint is gone; showing all endpoints</translation>
    </message>
    <message>
        <source>Delete the saved view “%1”?</source>
        <translation>Delete the saved view “%1”?</translation>
    </message>
    <message numerus="yes">
        <source>%Ln key(s)</source>
        <translation>
            <numerusform>%Ln key</numerusform>
            <numerusform>%Ln keys</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>aether::gui::NavigationTree</name>
    <message>
        <source>All endpoints</source>
        <translation>All endpoints</translation>
    </message>
</context>
<context>
    <name>aether::gui::PolicyPage</name>
    <message>
        <source>default: %1</source>
        <translation>default: %1</translation>
    </message>
    <message>
        <source>Policy saved. Limits already learned are kept; the next event of each key uses it.</source>
        <translation>Policy saved. Limits already learned are kept; the next event of each key uses it.</translation>
    </message>
    <message>
        <source>Reset the learning policy</source>
        <translation>Reset the learning policy</translation>
    </message>
    <message>
        <source>Restore the default value of every parameter? This applies to every console and gateway that uses this database. Limits already learned are kept.</source>
        <translation>Restore the default value of every parameter? This applies to every console and gateway that uses this database. Limits already learned are kept.</translation>
    </message>
    <message>
        <source>Reset to defaults</source>
        <translation>Reset to defaults</translation>
    </message>
    <message>
        <source>Default values restored.</source>
        <translation>Default values restored.</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>%1 must be at least %2.</source>
        <translation>%1 must be at least %2.</translation>
    </message>
    <message>
        <source>%1 must be at most %2.</source>
        <translation>%1 must be at most %2.</translation>
    </message>
    <message>
        <source>%1 must be greater than %2.</source>
        <translation>%1 must be greater than %2.</translation>
    </message>
    <message>
        <source>%1 must be less than %2.</source>
        <translation>%1 must be less than %2.</translation>
    </message>
    <message>
        <source>%1 is not valid.</source>
        <translation>%1 is not valid.</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <translation>%1: %2 → %3</translation>
    </message>
    <message>
        <source>Apply the learning policy</source>
        <translation>Apply the learning policy</translation>
    </message>
    <message numerus="yes">
        <source>Apply %n change(s) to the learning policy?</source>
        <translation>
            <numerusform>Apply %n change to the learning policy?</numerusform>
            <numerusform>Apply %n changes to the learning policy?</numerusform>
        </translation>
    </message>
    <message>
        <source>Every console and gateway on this database learns with it from each key&apos;s next event. Limits already learned are kept.</source>
        <translation>Every console and gateway on this database learns with it from each key&apos;s next event. Limits already learned are kept.</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Apply</translation>
    </message>
    <message>
        <source>The limit the learning starts from while nothing is learned (until then the gateway enforces no limit on the key).</source>
        <translation>The limit the learning starts from while nothing is learned (until then the gateway enforces no limit on the key).</translation>
    </message>
    <message>
        <source>A decrease never goes below this.</source>
        <translation>A decrease never goes below this.</translation>
    </message>
    <message>
        <source>An increase never goes above this.</source>
        <translation>An increase never goes above this.</translation>
    </message>
    <message>
        <source>How much an increase (high utilisation or probe) adds.</source>
        <translation>How much an increase (high utilisation or probe) adds.</translation>
    </message>
    <message>
        <source>A concurrency 429 sets the limit to the concurrency at the 429 times this.</source>
        <translation>A concurrency 429 sets the limit to the concurrency at the 429 times this.</translation>
    </message>
    <message>
        <source>A 429 of unknown kind multiplies the limit by this.</source>
        <translation>A 429 of unknown kind multiplies the limit by this.</translation>
    </message>
    <message>
        <source>No increase for this long after any 429, RPM 429s included.</source>
        <translation>No increase for this long after any 429, RPM 429s included.</translation>
    </message>
    <message>
        <source>How many of the latest utilisation samples count.</source>
        <translation>How many of the latest utilisation samples count.</translation>
    </message>
    <message>
        <source>Only samples of this many last seconds count.</source>
        <translation>Only samples of this many last seconds count.</translation>
    </message>
    <message>
        <source>A sample counts as busy at this utilisation (concurrency ÷ limit) or more.</source>
        <translation>A sample counts as busy at this utilisation (concurrency ÷ limit) or more.</translation>
    </message>
    <message>
        <source>The limit increases when at least this share of the samples is busy.</source>
        <translation>The limit increases when at least this share of the samples is busy.</translation>
    </message>
    <message>
        <source>Samples needed before a high-utilisation increase.</source>
        <translation>Samples needed before a high-utilisation increase.</translation>
    </message>
    <message>
        <source>A probe increase needs this long since the last 429 and since the last probe.</source>
        <translation>A probe increase needs this long since the last 429 and since the last probe.</translation>
    </message>
    <message>
        <source>Samples needed for a probe increase.</source>
        <translation>Samples needed for a probe increase.</translation>
    </message>
    <message>
        <source>Mean utilisation needed for a probe increase.</source>
        <translation>Mean utilisation needed for a probe increase.</translation>
    </message>
    <message>
        <source>How many adjustment records each key keeps.</source>
        <translation>How many adjustment records each key keeps.</translation>
    </message>
    <message>
        <source>The adjustment algorithm.</source>
        <translation>The adjustment algorithm.</translation>
    </message>
</context>
<context>
    <name>aether::gui::Rate429ChartView</name>
    <message>
        <source>Concurrency 429s</source>
        <translation>Concurrency 429s</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429s</translation>
    </message>
    <message>
        <source>429 responses</source>
        <translation>429 responses</translation>
    </message>
    <message>
        <source>429s per key: none recorded</source>
        <translation>429s per key: none recorded</translation>
    </message>
    <message numerus="yes">
        <source>429s per key (top %n)</source>
        <translation>
            <numerusform>429s per key (top %n)</numerusform>
            <numerusform>429s per key (top %n)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>429s per key in %1 (top %n)</source>
        <translation>
            <numerusform>429s per key in %1 (top %n)</numerusform>
            <numerusform>429s per key in %1 (top %n)</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (fixed)</source>
        <comment>a key with a fixed limit in the 429 chart</comment>
        <translation>%1 (fixed)</translation>
    </message>
</context>
<context>
    <name>aether::gui::SettingsDialog</name>
    <message>
        <source>System</source>
        <translation>System</translation>
    </message>
    <message>
        <source>SQLite database file</source>
        <translation>SQLite database file</translation>
    </message>
    <message>
        <source>SQLite databases (*.sqlite *.db);;All files (*)</source>
        <translation>SQLite databases (*.sqlite *.db);;All files (*)</translation>
    </message>
    <message>
        <source>Choose an SQLite file.</source>
        <translation>Choose an SQLite file.</translation>
    </message>
    <message>
        <source>Host, database and user are needed for PostgreSQL.</source>
        <translation>Host, database and user are needed for PostgreSQL.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <source>Connected to %1.</source>
        <translation>Connected to %1.</translation>
    </message>
    <message>
        <source>The HTTP address must be an IP address such as 127.0.0.1.</source>
        <translation>The HTTP address must be an IP address such as 127.0.0.1.</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM files (*.pem *.crt *.key);;All files (*)</translation>
    </message>
    <message>
        <source>TLS certificate</source>
        <translation>TLS certificate</translation>
    </message>
    <message>
        <source>TLS private key</source>
        <translation>TLS private key</translation>
    </message>
    <message>
        <source>HTTPS needs both a certificate and its private key.</source>
        <translation>HTTPS needs both a certificate and its private key.</translation>
    </message>
    <message>
        <source>The TLS files cannot be used: %1</source>
        <translation>The TLS files cannot be used: %1</translation>
    </message>
</context>
<context>
    <name>aether::gui::SimulatorPage</name>
    <message>
        <source>Hidden limit 30; demand 10 for 4 minutes, then bursts of 90 for 1 minute.</source>
        <translation>Hidden limit 30; demand 10 for 4 minutes, then bursts of 90 for 1 minute.</translation>
    </message>
    <message>
        <source>Hidden limit 50; demand swings between 10 and 90 over an hour.</source>
        <translation>Hidden limit 50; demand swings between 10 and 90 over an hour.</translation>
    </message>
    <message>
        <source>Latency does not grow with load; hidden limit 80 falls to 35 at 30 minutes; demand 120, with a quiet quarter hour.</source>
        <translation>Latency does not grow with load; hidden limit 80 falls to 35 at 30 minutes; demand 120, with a quiet quarter hour.</translation>
    </message>
    <message>
        <source>Hidden limit 150, three times the initial limit; demand 220: how fast the limit climbs.</source>
        <translation>Hidden limit 150, three times the initial limit; demand 220: how fast the limit climbs.</translation>
    </message>
    <message>
        <source>Hidden limit 200, the policy&apos;s maximum; demand 300.</source>
        <translation>Hidden limit 200, the policy&apos;s maximum; demand 300.</translation>
    </message>
    <message>
        <source>Hidden limit 40, falls to 12 at 40 minutes, rises to 60 at 80 minutes; demand 90.</source>
        <translation>Hidden limit 40, falls to 12 at 40 minutes, rises to 60 at 80 minutes; demand 90.</translation>
    </message>
    <message>
        <source>Long outputs (median 2,000 tokens); hidden limit 25, demand 50.</source>
        <translation>Long outputs (median 2,000 tokens); hidden limit 25, demand 50.</translation>
    </message>
    <message>
        <source>Hidden limit 20 rises to 50 at 30 minutes without a fall before; demand 80.</source>
        <translation>Hidden limit 20 rises to 50 at 30 minutes without a fall before; demand 80.</translation>
    </message>
    <message>
        <source>Hidden limit 100 rises to 150 at 30 minutes and 190 at 60 minutes, falls to 120 at 90 minutes; demand 220.</source>
        <translation>Hidden limit 100 rises to 150 at 30 minutes and 190 at 60 minutes, falls to 120 at 90 minutes; demand 220.</translation>
    </message>
    <message>
        <source>An RPM cap of 30 a minute without rate-limit headers (its 429s look like concurrency 429s); hidden limit 30, demand 40.</source>
        <translation>An RPM cap of 30 a minute without rate-limit headers (its 429s look like concurrency 429s); hidden limit 30, demand 40.</translation>
    </message>
    <message>
        <source>As rpm_periods, but without rate-limit headers: RPM 429s look like concurrency 429s.</source>
        <translation>As rpm_periods, but without rate-limit headers: RPM 429s look like concurrency 429s.</translation>
    </message>
    <message>
        <source>Hidden limit 40, demand 60; an RPM cap of 45 a minute from 15 to 30 and from 45 to 60 minutes, announced by headers.</source>
        <translation>Hidden limit 40, demand 60; an RPM cap of 45 a minute from 15 to 30 and from 45 to 60 minutes, announced by headers.</translation>
    </message>
    <message>
        <source>Hidden limit 40; other users of the key hold 0 to 8 requests (redrawn every minute); demand 80.</source>
        <translation>Hidden limit 40; other users of the key hold 0 to 8 requests (redrawn every minute); demand 80.</translation>
    </message>
    <message>
        <source>Hidden limit 8; demand swings between 2 and 16 over an hour.</source>
        <translation>Hidden limit 8; demand swings between 2 and 16 over an hour.</translation>
    </message>
    <message>
        <source>Hidden limit 30, 20, 45, 15, 30, changing every 30 minutes; demand 70.</source>
        <translation>Hidden limit 30, 20, 45, 15, 30, changing every 30 minutes; demand 70.</translation>
    </message>
    <message>
        <source>Hidden limit 40; demand twice the limit for an hour.</source>
        <translation>Hidden limit 40; demand twice the limit for an hour.</translation>
    </message>
    <message>
        <source>Hidden limit 2, below the policy&apos;s minimum of 3; demand 6.</source>
        <translation>Hidden limit 2, below the policy&apos;s minimum of 3; demand 6.</translation>
    </message>
    <message>
        <source>Hidden limit 60; other users of the key hold 0 to 25 requests (redrawn every 2 minutes); demand 100.</source>
        <translation>Hidden limit 60; other users of the key hold 0 to 25 requests (redrawn every 2 minutes); demand 100.</translation>
    </message>
    <message>
        <source>&amp;Scenario:</source>
        <translation>&amp;Scenario:</translation>
    </message>
    <message>
        <source>&amp;Load file…</source>
        <translation>&amp;Load file…</translation>
    </message>
    <message>
        <source>A scenario in the simulator&apos;s JSON format (sim/README.md)</source>
        <translation>A scenario in the simulator&apos;s JSON format (sim/README.md)</translation>
    </message>
    <message>
        <source>S&amp;trategies:</source>
        <translation>S&amp;trategies:</translation>
    </message>
    <message>
        <source>Ran&amp;dom seed:</source>
        <translation>Ran&amp;dom seed:</translation>
    </message>
    <message>
        <source>&amp;Policy values:</source>
        <translation>&amp;Policy values:</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Value</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Run</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>&amp;Apply this policy…</source>
        <translation>&amp;Apply this policy…</translation>
    </message>
    <message>
        <source>Store these policy values (and the first strategy ticked) as the learning policy</source>
        <translation>Store these policy values (and the first strategy ticked) as the learning policy</translation>
    </message>
    <message>
        <source>Reset &amp;zoom</source>
        <translation>Reset &amp;zoom</translation>
    </message>
    <message>
        <source>Drag a rectangle on the chart to zoom in; right-click to zoom out</source>
        <translation>Drag a rectangle on the chart to zoom in; right-click to zoom out</translation>
    </message>
    <message>
        <source>Strategy</source>
        <translation>Strategy</translation>
    </message>
    <message>
        <source>Goodput / oracle</source>
        <translation>Goodput / oracle</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>Concurrency 429s</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429s</translation>
    </message>
    <message>
        <source>Unknown 429s</source>
        <translation>Unknown 429s</translation>
    </message>
    <message>
        <source>Shed %</source>
        <translation>Shed %</translation>
    </message>
    <message>
        <source>Settled after (s), per limit</source>
        <translation>Settled after (s), per limit</translation>
    </message>
    <message>
        <source>Time (minutes)</source>
        <translation>Time (minutes)</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>Concurrency</translation>
    </message>
    <message>
        <source>Load a scenario</source>
        <translation>Load a scenario</translation>
    </message>
    <message>
        <source>Scenarios (*.json);;All files (*)</source>
        <translation>Scenarios (*.json);;All files (*)</translation>
    </message>
    <message>
        <source>%1 (file)</source>
        <translation>%1 (file)</translation>
    </message>
    <message numerus="yes">
        <source>%1 Lasts %n minute(s).</source>
        <translation>
            <numerusform>%1 Lasts %n minute.</numerusform>
            <numerusform>%1 Lasts %n minutes.</numerusform>
        </translation>
    </message>
    <message>
        <source>Tick at least one strategy.</source>
        <translation>Tick at least one strategy.</translation>
    </message>
    <message>
        <source>%1 is not valid.</source>
        <translation>%1 is not valid.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Cancelled.</translation>
    </message>
    <message>
        <source>The simulation failed: %1</source>
        <translation>The simulation failed: %1</translation>
    </message>
    <message>
        <source>Provider&apos;s hidden limit</source>
        <translation>Provider&apos;s hidden limit</translation>
    </message>
    <message>
        <source>Left by the key&apos;s other users</source>
        <translation>Left by the key&apos;s other users</translation>
    </message>
    <message>
        <source>%1: limit</source>
        <translation>%1: limit</translation>
    </message>
    <message>
        <source>%1: concurrency 429s</source>
        <translation>%1: concurrency 429s</translation>
    </message>
    <message>
        <source>oracle (knows the hidden limit)</source>
        <translation>oracle (knows the hidden limit)</translation>
    </message>
    <message>
        <source>These are the stored values already.</source>
        <translation>These are the stored values already.</translation>
    </message>
    <message>
        <source>The learning policy was stored.</source>
        <translation>The learning policy was stored.</translation>
    </message>
    <message numerus="yes">
        <source>Simulating %n strategy(s) over %1…</source>
        <translation>
            <numerusform>Simulating %n strategy over %1…</numerusform>
            <numerusform>Simulating %n strategies over %1…</numerusform>
        </translation>
    </message>
    <message>
        <source>The scenario cannot be used: %1.</source>
        <translation>The scenario cannot be used: %1.</translation>
    </message>
</context>
<context>
    <name>aether::gui::SummaryPage</name>
    <message>
        <source>All endpoints</source>
        <translation>All endpoints</translation>
    </message>
    <message>
        <source>%1: the totals and the most recent adjustments cover its adaptive keys (as the original service&apos;s summary does); the chart shows its adaptive and fixed keys.</source>
        <translation>%1: the totals and the most recent adjustments cover its adaptive keys (as the original service&apos;s summary does); the chart shows its adaptive and fixed keys.</translation>
    </message>
    <message>
        <source>all endpoints</source>
        <translation>all endpoints</translation>
    </message>
</context>
<context>
    <name>aether::gui::TimelineChartView</name>
    <message>
        <source>Concurrency 429s</source>
        <translation>Concurrency 429s</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429s</translation>
    </message>
    <message>
        <source>Unknown 429s</source>
        <translation>Unknown 429s</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>Effective limit</translation>
    </message>
    <message>
        <source>Time (local)</source>
        <translation>Time (local)</translation>
    </message>
    <message>
        <source>429s per bucket</source>
        <translation>429s per bucket</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Concurrency 429s: %1</source>
        <translation>Concurrency 429s: %1</translation>
    </message>
    <message>
        <source>RPM 429s: %1</source>
        <translation>RPM 429s: %1</translation>
    </message>
    <message>
        <source>Unknown 429s: %1</source>
        <translation>Unknown 429s: %1</translation>
    </message>
    <message>
        <source>Adjustments: %1</source>
        <translation>Adjustments: %1</translation>
    </message>
    <message>
        <source>Effective limit at the end: %1</source>
        <translation>Effective limit at the end: %1</translation>
    </message>
    <message>
        <source>none (nothing learned yet)</source>
        <translation>none (nothing learned yet)</translation>
    </message>
</context>
<context>
    <name>aether::gui::TokenDialog</name>
    <message>
        <source>The token is on the clipboard.</source>
        <translation>The token is on the clipboard.</translation>
    </message>
    <message>
        <source>never</source>
        <translation>never</translation>
    </message>
    <message>
        <source>Give the token a name, e.g. the script or gateway that will use it.</source>
        <translation>Give the token a name, e.g. the script or gateway that will use it.</translation>
    </message>
    <message>
        <source>A token named %1 exists already.</source>
        <translation>A token named %1 exists already.</translation>
    </message>
    <message>
        <source>Token %1 created. Copy it now: it cannot be shown again.</source>
        <translation>Token %1 created. Copy it now: it cannot be shown again.</translation>
    </message>
    <message>
        <source>Revoke token</source>
        <translation>Revoke token</translation>
    </message>
    <message>
        <source>Token %1 revoked.</source>
        <translation>Token %1 revoked.</translation>
    </message>
    <message>
        <source>Revoke the token %1? Whoever uses it can no longer call the HTTP API.</source>
        <translation>Revoke the token %1? Whoever uses it can no longer call the HTTP API.</translation>
    </message>
</context>
<context>
    <name>aether::gui::TrendPanel</name>
    <message>
        <source>Last hour</source>
        <translation>Last hour</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Last 24 hours</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Last 7 days</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Last 30 days</translation>
    </message>
    <message>
        <source>From – to</source>
        <translation>From – to</translation>
    </message>
    <message>
        <source>From (local time)</source>
        <translation>From (local time)</translation>
    </message>
    <message>
        <source>To (local time)</source>
        <translation>To (local time)</translation>
    </message>
    <message>
        <source>Show whole range</source>
        <translation>Show whole range</translation>
    </message>
    <message>
        <source>Zoom with the mouse wheel or by dragging across the chart; pan with the arrow keys or the middle mouse button; Esc or a double-click shows the whole range.</source>
        <translation>Zoom with the mouse wheel or by dragging across the chart; pan with the arrow keys or the middle mouse button; Esc or a double-click shows the whole range.</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Key</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>Concurrency</translation>
    </message>
    <message>
        <source>RPM</source>
        <translation>RPM</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Keys with the most 429s in the range (double-click to show a key)</source>
        <translation>Keys with the most 429s in the range (double-click to show a key)</translation>
    </message>
    <message>
        <source>by the minute</source>
        <translation>by the minute</translation>
    </message>
    <message>
        <source>per 5 minutes</source>
        <translation>per 5 minutes</translation>
    </message>
    <message>
        <source>by the hour</source>
        <translation>by the hour</translation>
    </message>
    <message>
        <source>by the day</source>
        <translation>by the day</translation>
    </message>
    <message>
        <source>%1 – %2, %3</source>
        <translation>%1 – %2, %3</translation>
    </message>
    <message>
        <source>429s over time</source>
        <translation>429s over time</translation>
    </message>
    <message>
        <source>429s over time: %1</source>
        <translation>429s over time: %1</translation>
    </message>
    <message>
        <source>In %1: %2 concurrency 429s, %3 RPM 429s, %4 unknown 429s, %5 adjustments. Older than 48 hours the series is kept by the hour; times are local.</source>
        <translation>In %1: %2 concurrency 429s, %3 RPM 429s, %4 unknown 429s, %5 adjustments. Older than 48 hours the series is kept by the hour; times are local.</translation>
    </message>
    <message>
        <source>Ran&amp;ge:</source>
        <translation>Ran&amp;ge:</translation>
    </message>
</context>
</TS>
