<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BulkActions</name>
    <message numerus="yes">
        <source>all %1 key(s) shown (%2)</source>
        <translation>
            <numerusform>当前显示的全部 %1 个密钥（%2）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more endpoint(s)</source>
        <translation>
            <numerusform>另外 %n 个端点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 key(s) on %2</source>
        <translation>
            <numerusform>%2 上的 %1 个密钥</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n key(s) changed</source>
        <translation>
            <numerusform>已修改 %n 个密钥</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already so</source>
        <translation>
            <numerusform>%n 个无需修改</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n 个失败</numerusform>
        </translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message>
        <source>Canceled: the keys before the cancel stay changed.</source>
        <translation>已取消：取消前已修改的密钥不会恢复原状。</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Set fixed limit</source>
        <translation>设置固定限制</translation>
    </message>
    <message>
        <source>Fixed concurrency limit (%1–%2) for %3:</source>
        <translation>%3 的固定并发限制（%1–%2）：</translation>
    </message>
    <message>
        <source>Set a fixed limit of %1 for %2?</source>
        <translation>要将 %2 的固定限制设为 %1 吗？</translation>
    </message>
    <message>
        <source>Adaptive keys among them switch to fixed mode; what they learned is kept.</source>
        <translation>其中的自适应密钥将切换为固定限制模式，已学习的状态保留。</translation>
    </message>
    <message>
        <source>Set limit</source>
        <translation>设置限制</translation>
    </message>
    <message>
        <source>Switch mode</source>
        <translation>切换模式</translation>
    </message>
    <message>
        <source>Switch %1 to adaptive mode?</source>
        <translation>要将 %1 切换为自适应模式吗？</translation>
    </message>
    <message>
        <source>Adaptive keys learn their limit from 429 responses; their fixed limits are cleared. Choose Fixed… to give them all one fixed limit instead.</source>
        <translation>自适应密钥根据 429 响应学习并发限制，其固定限制将被清除。如要为它们统一设置固定限制，请选择“固定限制…”。</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>Fixed…</source>
        <translation>固定限制…</translation>
    </message>
    <message>
        <source>Reset learning</source>
        <translation>重置学习状态</translation>
    </message>
    <message>
        <source>Reset what was learned for %1?</source>
        <translation>要重置 %1 的学习状态吗？</translation>
    </message>
    <message>
        <source>This clears each key&apos;s learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples. Modes and fixed limits stay as they are.</source>
        <translation>这将清除每个密钥的学习值、两项 429 次数、最近 429 的时间和类型、调整历史和利用率采样。模式和固定限制保持不变。</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the endpoints of a list</comment>
        <translation>、</translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n 个密钥</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 and %2</source>
        <comment>the endpoints of a list, the last one after &quot;and&quot;</comment>
        <translation>%1 和 %2</translation>
    </message>
</context>
<context>
    <name>Cli</name>
    <message>
        <source>NAME</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>CREATED</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>LAST USED</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <source>Aether Console: administration of per-key adaptive concurrency for an LLM API gateway.</source>
        <translation>Aether 控制台：管理 LLM API 网关中每个密钥的自适应并发。</translation>
    </message>
    <message>
        <source>Database: a file path, sqlite:///abs/path or postgresql://user:password@host:port/dbname (default: $AETHER_CONSOLE_DATABASE, else the embedded SQLite file).</source>
        <translation>数据库：文件路径、sqlite:///abs/path 或 postgresql://user:password@host:port/dbname（默认：$AETHER_CONSOLE_DATABASE，否则使用内置的 SQLite 文件）。</translation>
    </message>
    <message>
        <source>Create an API token and print it once.</source>
        <translation>创建一个 API 令牌并仅输出一次。</translation>
    </message>
    <message>
        <source>Role of a new token: admin, viewer or gateway (default admin).</source>
        <translation>新令牌的角色：admin、viewer 或 gateway（默认 admin）。</translation>
    </message>
    <message>
        <source>List the API tokens.</source>
        <translation>列出 API 令牌。</translation>
    </message>
    <message>
        <source>Revoke an API token.</source>
        <translation>吊销一个 API 令牌。</translation>
    </message>
    <message>
        <source>Fill an empty database with demo providers, endpoints and keys.</source>
        <translation>向空数据库填充演示用的提供商、端点和密钥。</translation>
    </message>
    <message>
        <source>Number of keys --demo creates (default 40).</source>
        <translation>--demo 创建的密钥数量（默认 40）。</translation>
    </message>
    <message>
        <source>Create or update the database (with --demo: fill it), then exit without opening the window.</source>
        <translation>创建或更新数据库（配合 --demo 时填充演示数据），然后退出，不打开窗口。</translation>
    </message>
    <message>
        <source>invalid --database: %1</source>
        <translation>无效的 --database：%1</translation>
    </message>
    <message>
        <source>cannot open the database %1: %2</source>
        <translation>无法打开数据库 %1：%2</translation>
    </message>
    <message>
        <source>aether-console: the database %1 is unavailable (%2); answering 503 until it is back</source>
        <translation>aether-console：数据库 %1 不可用（%2）；恢复之前将返回 503</translation>
    </message>
    <message>
        <source>unknown role &quot;%1&quot;: use admin, viewer or gateway</source>
        <translation>未知角色“%1”：请使用 admin、viewer 或 gateway</translation>
    </message>
    <message>
        <source>Created %1 token &quot;%2&quot;. It is shown only once:</source>
        <translation>已创建角色为 %1 的令牌“%2”。该令牌仅显示这一次：</translation>
    </message>
    <message>
        <source>Revoked token &quot;%1&quot;.</source>
        <translation>已吊销令牌“%1”。</translation>
    </message>
    <message>
        <source>Demo data: %1 providers, %2 endpoints, %3 keys.</source>
        <translation>演示数据：%1 个提供商、%2 个端点、%3 个密钥。</translation>
    </message>
    <message>
        <source>Demo data not added: %1.</source>
        <translation>未添加演示数据：%1。</translation>
    </message>
    <message>
        <source>invalid --listen &quot;%1&quot;: use HOST:PORT</source>
        <translation>无效的 --listen 值“%1”：请使用 HOST:PORT</translation>
    </message>
    <message>
        <source>aether-console: the database is available again</source>
        <translation>aether-console：数据库已恢复可用</translation>
    </message>
    <message>
        <source>--demo-keys takes a positive number</source>
        <translation>--demo-keys 需要一个正整数</translation>
    </message>
    <message>
        <source>unknown strategy &quot;%1&quot;: use one of %2</source>
        <translation>未知的调整算法“%1”：请使用以下之一：%2</translation>
    </message>
    <message>
        <source>Serve the learning to the simulator&apos;s external-learner protocol on standard input and output (sim/README.md), then exit.</source>
        <translation>通过标准输入输出以模拟器的外部学习器协议提供学习功能（见 sim/README.md），结束后退出。</translation>
    </message>
    <message>
        <source>Most client connections at once (default %1).</source>
        <translation>同时允许的客户端连接数上限（默认 %1）。</translation>
    </message>
    <message>
        <source>Most connections from one client address (default %1).</source>
        <translation>单个客户端地址的连接数上限（默认 %1）。</translation>
    </message>
    <message>
        <source>Seconds a client has to send a request head (default %1).</source>
        <translation>客户端发送请求头的时限，单位为秒（默认 %1）。</translation>
    </message>
    <message>
        <source>Seconds an idle kept-alive connection stays open, and a body or a client that stopped reading may stall (default %1).</source>
        <translation>保持连接在空闲时保留的秒数，也是请求体停止发送或客户端停止读取时允许停顿的秒数（默认 %1）。</translation>
    </message>
    <message>
        <source>Largest request head in bytes (default %1; larger: 431).</source>
        <translation>请求头的最大字节数（默认 %1；超出则返回 431）。</translation>
    </message>
    <message>
        <source>Most header lines in a request (default %1; more: 431).</source>
        <translation>单个请求的请求头行数上限（默认 %1；超出则返回 431）。</translation>
    </message>
    <message>
        <source>Wrong tokens a client address may send per minute before it gets 429 (default %1; 0 = no limit).</source>
        <translation>单个客户端地址每分钟可发送的错误令牌数，超出后返回 429（默认 %1；0 表示不限制）。</translation>
    </message>
    <message>
        <source>Serve HTTPS with this PEM certificate (chain).</source>
        <translation>使用此 PEM 证书（证书链）提供 HTTPS 服务。</translation>
    </message>
    <message>
        <source>The PEM private key of --tls-cert.</source>
        <translation>--tls-cert 对应的 PEM 私钥。</translation>
    </message>
    <message>
        <source>--%1 takes a whole number from %2 to %3</source>
        <translation>--%1 需要 %2 到 %3 之间的整数</translation>
    </message>
    <message>
        <source>--tls-cert and --tls-key go together</source>
        <translation>--tls-cert 与 --tls-key 必须同时指定</translation>
    </message>
    <message>
        <source>aether-console: warning: serving plain HTTP on %1: tokens and answers cross the network unencrypted and can be read or replayed by anyone on the path. Use --tls-cert/--tls-key or a TLS reverse proxy (docs/security.md).</source>
        <translation>aether-console：警告：正在 %1 上提供未加密的 HTTP 服务：令牌和响应以明文经过网络，路径上的任何人都可以读取或重放。请使用 --tls-cert/--tls-key 或 TLS 反向代理（docs/security.md）。</translation>
    </message>
    <message>
        <source>Serve the HTTP API without a window.</source>
        <translation>不打开窗口，仅提供 HTTP 接口。</translation>
    </message>
    <message>
        <source>Address of the HTTP API (default 127.0.0.1:8087; port 0 = any).</source>
        <translation>HTTP 接口的地址（默认 127.0.0.1:8087；端口 0 表示任意端口）。</translation>
    </message>
    <message>
        <source>Database ready: %1. Serve the HTTP API with --serve.</source>
        <translation>数据库已就绪：%1。请使用 --serve 启动 HTTP 接口。</translation>
    </message>
    <message>
        <source>Days the time series of 429s and limits is kept (default: the setting timeline/retention_days, else 30).</source>
        <translation>429 次数和有效限制时间序列的保留天数（默认：设置项 timeline/retention_days，否则为 30）。</translation>
    </message>
    <message>
        <source>Seconds between two readings of the keys&apos; counters for the time series (default 30).</source>
        <translation>为时间序列读取各密钥计数器的间隔秒数（默认 30）。</translation>
    </message>
    <message>
        <source>--retention-days takes a number of days from %1 to %2</source>
        <translation>--retention-days 须为 %1 到 %2 之间的天数</translation>
    </message>
    <message>
        <source>--sampling-interval takes a number of seconds from %1 to %2</source>
        <translation>--sampling-interval 须为 %1 到 %2 之间的秒数</translation>
    </message>
    <message>
        <source>Learning strategy: of --learner-peer (default %2), or one of those --simulate compares (repeat it; default all): %1.</source>
        <translation>调整算法：--learner-peer 所用的算法（默认 %2），或 --simulate 要比较的算法之一（可重复指定；默认全部）：%1。</translation>
    </message>
    <message>
        <source>List the learning strategies, the recommended one first, then exit.</source>
        <translation>列出调整算法（推荐的在前），然后退出。</translation>
    </message>
    <message>
        <source>Run the learning simulator over a scenario (a built-in name such as limit_change, or a file in the JSON format of sim/scenarios) with each --strategy and the oracle, print the metrics, then exit.</source>
        <translation>用学习模拟器运行一个场景（内置场景名，如 limit_change，或 sim/scenarios 的 JSON 格式文件），对每个 --strategy 和理想基准输出指标，然后退出。</translation>
    </message>
    <message>
        <source>With --simulate: a JSON file of learning policy values to use instead of the defaults.</source>
        <translation>与 --simulate 一起使用：用 JSON 文件中的学习策略参数代替默认值。</translation>
    </message>
    <message>
        <source>With --simulate: the random seed, instead of the scenario&apos;s.</source>
        <translation>与 --simulate 一起使用：随机种子，代替场景自带的种子。</translation>
    </message>
    <message>
        <source>--seed takes a number of 0 or more</source>
        <translation>--seed 须为 0 或更大的数字</translation>
    </message>
    <message>
        <source>cannot read the scenario %1: %2</source>
        <translation>无法读取场景 %1：%2</translation>
    </message>
    <message>
        <source>cannot read the policy %1: %2</source>
        <translation>无法读取学习策略文件 %1：%2</translation>
    </message>
    <message>
        <source>invalid policy %1: %2</source>
        <translation>学习策略文件 %1 无效：%2</translation>
    </message>
    <message>
        <source>Scenario %1 (seed %2, %3 s): %4</source>
        <translation>场景 %1（随机种子 %2，%3 秒）：%4</translation>
    </message>
    <message>
        <source>STRATEGY</source>
        <translation>调整算法</translation>
    </message>
    <message>
        <source>GOODPUT/ORACLE</source>
        <translation>有效吞吐/理想基准</translation>
    </message>
    <message>
        <source>CONC. 429</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>UNKNOWN 429</source>
        <translation>未知 429 次数</translation>
    </message>
    <message>
        <source>SHED %</source>
        <translation>本地拒绝 %</translation>
    </message>
    <message>
        <source>SETTLE S (PER LIMIT)</source>
        <translation>收敛秒数（每段上限）</translation>
    </message>
    <message>
        <source>Serve GET /metrics without a token (otherwise a viewer or admin token).</source>
        <translation>无需令牌即可读取 GET /metrics（否则需要查看者或管理员令牌）。</translation>
    </message>
    <message>
        <source>unknown command &quot;%1&quot;; see --help</source>
        <translation>未知命令“%1”；请查看 --help</translation>
    </message>
    <message>
        <source>keys, key, set-limit, set-mode, reset, summary or policy, with its arguments (see above).</source>
        <translation>keys、key、set-limit、set-mode、reset、summary 或 policy，以及其参数（见上文）。</translation>
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
        <translation>供脚本使用的命令（不打开窗口）：
  keys [--endpoint ID] [--all]     自适应密钥（--all：全部密钥）
  key ID                           密钥的统计信息
  set-limit ID N                   设为固定限制 N（1 到 100）
  set-mode ID adaptive|fixed [--limit N]
  reset ID [--yes]                 重置该密钥的学习状态
  summary                          自适应密钥的汇总
  policy [get | set KEY=VALUE... | reset [--yes]]
加上 --json 输出 HTTP 接口的应答。退出状态：0 完成，1 被拒绝，2 用法错误，3 数据库不可用。</translation>
    </message>
    <message>
        <source>With keys: only the keys of this endpoint id.</source>
        <translation>用于 keys：只列出该端点 ID 的密钥。</translation>
    </message>
    <message>
        <source>With keys: the keys with a fixed limit too.</source>
        <translation>用于 keys：同时列出固定限制模式的密钥。</translation>
    </message>
    <message>
        <source>With set-mode ID fixed: the fixed limit (1 to 100).</source>
        <translation>用于 set-mode ID fixed：固定限制（1 到 100）。</translation>
    </message>
    <message>
        <source>With reset and policy reset: do not ask for confirmation.</source>
        <translation>用于 reset 和 policy reset：不再询问确认。</translation>
    </message>
    <message>
        <source>Print JSON: with --simulate the metrics, with a command the HTTP API&apos;s answer.</source>
        <translation>输出 JSON：与 --simulate 一起时输出指标，与命令一起时输出 HTTP 接口的应答。</translation>
    </message>
    <message>
        <source>key %1 not found</source>
        <translation>未找到密钥 %1</translation>
    </message>
    <message>
        <source>a fixed limit is needed: add --limit N</source>
        <translation>需要固定限制：请加上 --limit N</translation>
    </message>
    <message>
        <source>%1 is not a setting of the learning policy</source>
        <translation>%1 不是学习策略的参数</translation>
    </message>
    <message>
        <source>refused: %1</source>
        <translation>已拒绝：%1</translation>
    </message>
    <message>
        <source>the database is unavailable: %1</source>
        <translation>数据库不可用：%1</translation>
    </message>
    <message>
        <source>adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>fixed</source>
        <translation>固定限制</translation>
    </message>
    <message>
        <source>this asks for confirmation: add --yes when no one can answer</source>
        <translation>此操作需要确认：无法交互确认时请加上 --yes</translation>
    </message>
    <message>
        <source>[y/N]</source>
        <translation>[y/N]</translation>
    </message>
    <message>
        <source>y</source>
        <translation>是</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是的</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>未做任何更改。</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>PROVIDER</source>
        <translation>提供商</translation>
    </message>
    <message>
        <source>ENDPOINT</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>MODE</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>LIMIT</source>
        <translation>有效限制</translation>
    </message>
    <message>
        <source>LEARNED</source>
        <translation>学习值</translation>
    </message>
    <message>
        <source>KEY</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Fixed limit</source>
        <translation>固定限制</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>有效限制</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>学习到的并发限制</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>Last 429</source>
        <translation>最近一次 429</translation>
    </message>
    <message>
        <source>Adjustments</source>
        <translation>调整次数</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>OLD</source>
        <translation>原限制</translation>
    </message>
    <message>
        <source>NEW</source>
        <translation>新限制</translation>
    </message>
    <message>
        <source>REASON</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Key %1: fixed limit %2 (it was adaptive).</source>
        <translation>密钥 %1：已设为固定限制 %2（原为自适应模式）。</translation>
    </message>
    <message>
        <source>Key %1: fixed limit %2.</source>
        <translation>密钥 %1：已设为固定限制 %2。</translation>
    </message>
    <message>
        <source>Key %1: adaptive mode; its limit is learned.</source>
        <translation>密钥 %1：已切换为自适应模式，并发限制将自动学习。</translation>
    </message>
    <message>
        <source>Key %1: what was learned is reset.</source>
        <translation>密钥 %1：学习状态已重置。</translation>
    </message>
    <message>
        <source>Adaptive keys</source>
        <translation>自适应密钥</translation>
    </message>
    <message>
        <source>Keys with a fixed limit</source>
        <translation>固定限制模式的密钥</translation>
    </message>
    <message>
        <source>SETTING</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>VALUE</source>
        <translation>值</translation>
    </message>
    <message>
        <source>policy get takes no arguments</source>
        <translation>policy get 不接受参数</translation>
    </message>
    <message>
        <source>policy set needs KEY=VALUE arguments</source>
        <translation>policy set 需要 KEY=VALUE 形式的参数</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not KEY=VALUE</source>
        <translation>“%1”不是 KEY=VALUE 形式</translation>
    </message>
    <message>
        <source>policy reset takes no arguments</source>
        <translation>policy reset 不接受参数</translation>
    </message>
    <message>
        <source>Return the learning policy to its defaults for every key?</source>
        <translation>要为所有密钥恢复默认学习策略吗？</translation>
    </message>
    <message>
        <source>unknown policy action &quot;%1&quot;: use get, set or reset</source>
        <translation>未知的 policy 操作“%1”：请使用 get、set 或 reset</translation>
    </message>
    <message>
        <source>usage: aether-console %1</source>
        <translation>用法：aether-console %1</translation>
    </message>
    <message>
        <source>the limit must be a whole number, not &quot;%1&quot;</source>
        <translation>限制必须是整数，而不是“%1”</translation>
    </message>
    <message>
        <source>the mode must be adaptive or fixed, not &quot;%1&quot;</source>
        <translation>模式必须是 adaptive 或 fixed，而不是“%1”</translation>
    </message>
    <message>
        <source>Reset what was learned for key %1?</source>
        <translation>要重置密钥 %1 的学习状态吗？</translation>
    </message>
    <message>
        <source>never</source>
        <comment>token never used</comment>
        <translation>从未使用</translation>
    </message>
    <message>
        <source>never</source>
        <comment>no 429 yet</comment>
        <translation>无</translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the items of a list</comment>
        <translation>、</translation>
    </message>
    <message>
        <source>not found: %1</source>
        <translation>未找到：%1</translation>
    </message>
    <message>
        <source>the database reported an error: %1</source>
        <translation>数据库报告错误：%1</translation>
    </message>
</context>
<context>
    <name>ColumnChooser</name>
    <message>
        <source>Default columns</source>
        <translation>默认列</translation>
    </message>
</context>
<context>
    <name>Error</name>
    <message>
        <source>The key no longer exists (it was deleted meanwhile).</source>
        <translation>该密钥已不存在（已在此期间被删除）。</translation>
    </message>
    <message>
        <source>The limit must be between %1 and %2.</source>
        <translation>限制必须介于 %1 和 %2 之间。</translation>
    </message>
    <message>
        <source>The database cannot be reached: %1</source>
        <translation>无法连接数据库：%1</translation>
    </message>
    <message>
        <source>Conflict: %1</source>
        <translation>冲突：%1</translation>
    </message>
    <message>
        <source>The database reported an error: %1</source>
        <translation>数据库报告错误：%1</translation>
    </message>
    <message>
        <source>the HTTP API is running already</source>
        <translation>HTTP 接口已在运行</translation>
    </message>
    <message>
        <source>a token name must have 1 to 100 characters</source>
        <translation>令牌名称须为 1 到 100 个字符</translation>
    </message>
    <message>
        <source>a token named &quot;%1&quot; exists already</source>
        <translation>已存在名为“%1”的令牌</translation>
    </message>
    <message>
        <source>not a valid PostgreSQL URL: %1</source>
        <translation>不是有效的 PostgreSQL 地址（Qt 的说明：%1）</translation>
    </message>
    <message>
        <source>invalid value of the PostgreSQL URL parameter %1</source>
        <translation>PostgreSQL 地址参数 %1 的值无效</translation>
    </message>
    <message>
        <source>unsupported PostgreSQL URL parameter: %1</source>
        <translation>不支持的 PostgreSQL 地址参数：%1</translation>
    </message>
    <message>
        <source>the PostgreSQL URL holds a control character (such as %00)</source>
        <translation>PostgreSQL 地址含有控制字符（如 %00）</translation>
    </message>
    <message>
        <source>invalid PostgreSQL port</source>
        <translation>PostgreSQL 端口无效</translation>
    </message>
    <message>
        <source>the PostgreSQL URL names no database</source>
        <translation>PostgreSQL 地址未指定数据库</translation>
    </message>
    <message>
        <source>empty database URL</source>
        <translation>数据库地址为空</translation>
    </message>
    <message>
        <source>unsupported database URL scheme: %1</source>
        <translation>不支持的数据库地址协议：%1</translation>
    </message>
    <message>
        <source>the SQLite URL names no file</source>
        <translation>SQLite 地址未指定文件</translation>
    </message>
    <message>
        <source>the SQLite path holds a control character (such as %00)</source>
        <translation>SQLite 路径含有控制字符（如 %00）</translation>
    </message>
    <message>
        <source>1 to 1,000,000 keys</source>
        <translation>密钥数须为 1 到 1,000,000</translation>
    </message>
    <message>
        <source>the tables belong to a gateway; demo data goes only into the console&apos;s own database</source>
        <translation>这些表属于网关；演示数据只能添加到控制台自己的数据库</translation>
    </message>
    <message>
        <source>the database holds keys already; demo data goes only into an empty database</source>
        <translation>数据库中已有密钥；演示数据只能添加到空数据库</translation>
    </message>
    <message>
        <source>refusing to listen on %1: AETHER_CONSOLE_TOKEN has %2 characters, at least %3 are needed beyond loopback</source>
        <translation>拒绝在 %1 上监听：AETHER_CONSOLE_TOKEN 只有 %2 个字符，在本机回环地址以外监听至少需要 %3 个</translation>
    </message>
    <message>
        <source>refusing to listen on %1 without any API token: create one with --create-token NAME or set AETHER_CONSOLE_TOKEN</source>
        <translation>没有任何 API 令牌，拒绝在 %1 上监听：请用 --create-token NAME 创建令牌，或设置 AETHER_CONSOLE_TOKEN</translation>
    </message>
    <message>
        <source>no token named &quot;%1&quot;</source>
        <translation>没有名为“%1”的令牌</translation>
    </message>
    <message>
        <source>the Qt SQL driver %1 is not installed</source>
        <translation>未安装 Qt SQL 驱动 %1</translation>
    </message>
    <message>
        <source>cannot create the folder %1</source>
        <translation>无法创建文件夹 %1</translation>
    </message>
    <message>
        <source>%1 is not an SQLite database</source>
        <translation>%1 不是 SQLite 数据库</translation>
    </message>
    <message>
        <source>the database is not open</source>
        <translation>数据库未打开</translation>
    </message>
    <message>
        <source>bulk changes need a database file or server</source>
        <translation>批量修改需要数据库文件或数据库服务器</translation>
    </message>
    <message>
        <source>the console does not know this change</source>
        <translation>控制台无法识别此修改</translation>
    </message>
    <message>
        <source>a page of the key table needs a limit</source>
        <translation>读取密钥表的一页时必须指定行数</translation>
    </message>
    <message>
        <source>key %1 disappeared while it was locked</source>
        <translation>密钥 %1 在锁定期间已不存在</translation>
    </message>
    <message>
        <source>the file cannot be opened: %1</source>
        <translation>无法打开文件：%1</translation>
    </message>
    <message>
        <source>the file is larger than 1 MiB</source>
        <translation>文件大于 1 MiB</translation>
    </message>
    <message>
        <source>the file is not valid JSON: %1 at byte %2</source>
        <translation>文件不是有效的 JSON（第 %2 字节：%1）</translation>
    </message>
    <message>
        <source>the file holds no JSON object</source>
        <translation>文件中没有 JSON 对象</translation>
    </message>
    <message>
        <source>the database is unavailable; waiting before connecting again</source>
        <translation>数据库不可用，稍后将重新连接</translation>
    </message>
    <message>
        <source>%1 (waiting before connecting again)</source>
        <translation>%1（稍后将重新连接）</translation>
    </message>
    <message>
        <source>the file cannot be written: %1</source>
        <translation>无法写入文件：%1</translation>
    </message>
    <message>
        <source>%1.</source>
        <extracomment>A sentence of the console&apos;s own (often lower-case, as it also follows a colon) shown on its own.</extracomment>
        <translation>%1。</translation>
    </message>
    <message>
        <source>The file %1 cannot be written: %2</source>
        <translation>无法写入文件 %1：%2</translation>
    </message>
    <message>
        <source>The disk holding the database is full: %1</source>
        <translation>数据库所在的磁盘已满：%1</translation>
    </message>
    <message>
        <source>The database file is damaged: %1</source>
        <translation>数据库文件已损坏：%1</translation>
    </message>
    <message>
        <source>The database cannot be written (read-only): %1</source>
        <translation>数据库为只读，无法写入：%1</translation>
    </message>
    <message>
        <source>cannot listen on %1: %2</source>
        <translation>无法在 %1 上监听：%2</translation>
    </message>
    <message>
        <source>%1 cannot be read: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 is too large for a PEM file</source>
        <translation>%1 超出 PEM 文件的大小上限</translation>
    </message>
    <message>
        <source>TLS is not available: Qt found no TLS backend (%1)</source>
        <translation>TLS 不可用：Qt 未找到 TLS 后端（%1）</translation>
    </message>
    <message>
        <source>%1 holds no PEM certificate</source>
        <translation>%1 中没有 PEM 证书</translation>
    </message>
    <message>
        <source>%1 holds no unencrypted PEM private key</source>
        <translation>%1 中没有未加密的 PEM 私钥</translation>
    </message>
    <message>
        <source>“%1”</source>
        <extracomment>Quotes the words of a database driver or of Qt (often English) after a sentence of the console&apos;s own.</extracomment>
        <translation>“%1”</translation>
    </message>
    <message>
        <source>%1 is missing</source>
        <translation>缺少 %1</translation>
    </message>
    <message>
        <source>%1 must be at least %2</source>
        <translation>%1 不能小于 %2</translation>
    </message>
    <message>
        <source>%1 must be at most %2</source>
        <translation>%1 不能大于 %2</translation>
    </message>
    <message>
        <source>%1 must be greater than %2</source>
        <translation>%1 必须大于 %2</translation>
    </message>
    <message>
        <source>%1 must be less than %2</source>
        <translation>%1 必须小于 %2</translation>
    </message>
    <message>
        <source>%1 must be a whole number</source>
        <translation>%1 必须是整数</translation>
    </message>
    <message>
        <source>%1 must be a number</source>
        <translation>%1 必须是数字</translation>
    </message>
    <message>
        <source>%1 must be text</source>
        <translation>%1 必须是文本</translation>
    </message>
    <message>
        <source>%1 must be a JSON object</source>
        <translation>%1 必须是 JSON 对象</translation>
    </message>
    <message>
        <source>%1 must be a list</source>
        <translation>%1 必须是列表</translation>
    </message>
    <message>
        <source>%1 is not a known setting</source>
        <translation>%1 不是可识别的设置项</translation>
    </message>
    <message>
        <source>%1 must be one of: %2</source>
        <translation>%1 必须是以下之一：%2</translation>
    </message>
    <message>
        <source>%1 is not valid JSON</source>
        <translation>%1 不是有效的 JSON</translation>
    </message>
    <message>
        <source>a fixed limit is needed in fixed-limit mode</source>
        <translation>固定限制模式需要指定固定限制</translation>
    </message>
    <message>
        <source>%1 is not valid</source>
        <translation>%1 无效</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <extracomment>%1 is the console&apos;s sentence, %2 the quoted words of Qt or of a parser.</extracomment>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>the input must be a JSON object</source>
        <translation>输入必须是 JSON 对象</translation>
    </message>
    <message>
        <source>the input is not valid JSON</source>
        <translation>输入不是有效的 JSON</translation>
    </message>
    <message>
        <source>the input is not valid</source>
        <translation>输入无效</translation>
    </message>
    <message>
        <source>, </source>
        <extracomment>Separates the allowed values of a setting (&quot;a, b, c&quot;).</extracomment>
        <translation>、</translation>
    </message>
    <message>
        <source>%1 has too many items (at most %2)</source>
        <translation>%1 的项数过多（最多 %2 项）</translation>
    </message>
</context>
<context>
    <name>HttpMessage</name>
    <message>
        <source>Missing admin credentials</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>缺少管理员凭证</translation>
    </message>
    <message>
        <source>Invalid token</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>无效的Token</translation>
    </message>
    <message>
        <source>Admin privileges required</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>需要管理员权限</translation>
    </message>
    <message>
        <source>Request body must not be empty</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>请求体不能为空</translation>
    </message>
    <message>
        <source>Request body must be valid JSON</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>请求体必须是合法的JSON</translation>
    </message>
    <message>
        <source>Request body too large</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>请求体过大</translation>
    </message>
    <message>
        <source>fixed_limit is required when disabling adaptive mode</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>禁用自适应模式时必须提供 fixed_limit 参数</translation>
    </message>
    <message>
        <source>Database connection error, retrying...</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>数据库连接异常，正在重试...</translation>
    </message>
    <message>
        <source>Switched to adaptive mode; the concurrency limit will be learned and adjusted automatically</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>已切换为自适应模式，系统将自动学习并调整并发限制</translation>
    </message>
    <message>
        <source>Switched to fixed-limit mode; concurrency limit set to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>已切换为固定限制模式，并发限制设为 %1</translation>
    </message>
    <message>
        <source>Set to fixed-limit mode with a concurrency limit of %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>已设置为固定限制模式，并发限制为 %1</translation>
    </message>
    <message>
        <source>Learning state reset</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>学习状态已重置</translation>
    </message>
    <message>
        <source>enabled</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>启用状态</translation>
    </message>
    <message>
        <source>fixed_limit</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>固定限制</translation>
    </message>
    <message>
        <source>Field required</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>此字段为必填项</translation>
    </message>
    <message>
        <source>Input should be a valid boolean</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为布尔值</translation>
    </message>
    <message>
        <source>Input should be a valid boolean, unable to interpret input</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为布尔值, unable to interpret input</translation>
    </message>
    <message>
        <source>Input should be a valid integer</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为有效的整数</translation>
    </message>
    <message>
        <source>Input should be a valid integer, unable to parse string as an integer</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为有效的整数, unable to parse string as an integer</translation>
    </message>
    <message>
        <source>Input should be a valid integer, got a number with a fractional part</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为有效的整数, got a number with a fractional part</translation>
    </message>
    <message>
        <source>Input should be greater than or equal to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>数值应大于或等于 %1</translation>
    </message>
    <message>
        <source>Input should be less than or equal to %1</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>数值应小于或等于 %1</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary or instance of EnableAdaptiveRequest</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为有效的字典 or instance of EnableAdaptiveRequest</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary</source>
        <extracomment>Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.</extracomment>
        <translation>输入应为有效的字典</translation>
    </message>
    <message>
        <source>Input should be a valid dictionary or instance of %1</source>
        <translation>输入应为有效的字典或 %1 的实例</translation>
    </message>
    <message>
        <source>Input should be greater than %1</source>
        <translation>数值应大于 %1</translation>
    </message>
    <message>
        <source>Input should be less than %1</source>
        <translation>数值应小于 %1</translation>
    </message>
    <message>
        <source>Input should be a valid number</source>
        <translation>输入应为有效的数字</translation>
    </message>
    <message>
        <source>Input should be a valid string</source>
        <translation>输入应为有效的字符串</translation>
    </message>
    <message>
        <source>Input should be a valid list</source>
        <translation>输入应为有效的列表</translation>
    </message>
    <message>
        <source>List should have at most %1 items</source>
        <translation>列表最多只能包含 %1 项</translation>
    </message>
    <message>
        <source>Extra inputs are not permitted</source>
        <translation>不允许额外的字段</translation>
    </message>
    <message>
        <source>Input should be %1</source>
        <translation>输入应为 %1</translation>
    </message>
    <message>
        <source>Malformed HTTP request</source>
        <translation>HTTP 请求格式错误</translation>
    </message>
    <message>
        <source>The request was not received in time</source>
        <translation>未能在时限内收到完整请求</translation>
    </message>
    <message>
        <source>Request header too large</source>
        <translation>请求头过大</translation>
    </message>
    <message>
        <source>Transfer encoding not supported</source>
        <translation>不支持该传输编码</translation>
    </message>
    <message>
        <source>Server busy, try again later</source>
        <translation>服务器繁忙，请稍后重试</translation>
    </message>
    <message>
        <source>Too many connections, try again later</source>
        <translation>连接数过多，请稍后重试</translation>
    </message>
    <message>
        <source>Too many failed authentication attempts, try again later</source>
        <translation>认证失败次数过多，请稍后重试</translation>
    </message>
    <message>
        <source>Database error (reference %1)</source>
        <translation>数据库错误（参考编号 %1）</translation>
    </message>
</context>
<context>
    <name>KeyChange</name>
    <message>
        <source>Switched to adaptive mode; nothing learned yet.</source>
        <translation>已切换为自适应模式，尚未学习到并发限制。</translation>
    </message>
    <message>
        <source>Switched to adaptive mode; the learned limit %1 applies.</source>
        <translation>已切换为自适应模式，学习到的并发限制 %1 生效。</translation>
    </message>
    <message>
        <source>Switched to fixed mode with a limit of %1.</source>
        <translation>已切换为固定限制模式，限制为 %1。</translation>
    </message>
    <message>
        <source>Fixed limit set to %1.</source>
        <translation>固定限制已设为 %1。</translation>
    </message>
    <message>
        <source>Learning state reset; the mode is unchanged.</source>
        <translation>学习状态已重置，模式保持不变。</translation>
    </message>
</context>
<context>
    <name>KeyDetailWidget</name>
    <message>
        <source>No key selected</source>
        <translation>未选择密钥</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>模式：</translation>
    </message>
    <message>
        <source>Max concurrent:</source>
        <translation>最大并发：</translation>
    </message>
    <message>
        <source>Effective limit:</source>
        <translation>有效限制：</translation>
    </message>
    <message>
        <source>Learned limit:</source>
        <translation>学习到的并发限制：</translation>
    </message>
    <message>
        <source>Concurrency 429s:</source>
        <translation>并发 429 次数：</translation>
    </message>
    <message>
        <source>RPM 429s:</source>
        <translation>RPM 429 次数：</translation>
    </message>
    <message>
        <source>Last 429:</source>
        <translation>最近 429：</translation>
    </message>
    <message>
        <source>Last 429 type:</source>
        <translation>最近 429 类型：</translation>
    </message>
    <message>
        <source>Adjustments:</source>
        <translation>调整次数：</translation>
    </message>
    <message>
        <source>Concurrency control</source>
        <translation>并发控制</translation>
    </message>
    <message>
        <source>&amp;Adaptive (learn the limit from 429 responses)</source>
        <translation>自适应（根据 429 响应学习并发限制）(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Reset learning…</source>
        <translation>重置学习状态(&amp;R)…</translation>
    </message>
    <message>
        <source>A&amp;pply</source>
        <translation>应用(&amp;P)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变化</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Fixed &amp;limit:</source>
        <translation>固定限制(&amp;L)：</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Aether Console</source>
        <translation>Aether 控制台</translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation>重试(&amp;R)</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>Search name or key ID</source>
        <translation>搜索名称或密钥 ID</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>模式：</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>概览</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Key</source>
        <translation>密钥(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Toolbar</source>
        <translation>工具栏</translation>
    </message>
    <message>
        <source>&amp;Export table as CSV…</source>
        <translation>导出表格为 CSV(&amp;E)…</translation>
    </message>
    <message>
        <source>Save &amp;chart as PNG…</source>
        <translation>保存图表为 PNG(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Access &amp;tokens…</source>
        <translation>访问令牌(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Auto refresh</source>
        <translation>自动刷新(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Keys</source>
        <translation>密钥(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Summary</source>
        <translation>概览(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;System</source>
        <translation>跟随系统(&amp;S)</translation>
    </message>
    <message>
        <source>Switch &amp;mode</source>
        <translation>切换模式(&amp;M)</translation>
    </message>
    <message>
        <source>Set fixed &amp;limit…</source>
        <translation>设置固定限制(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Reset learning…</source>
        <translation>重置学习状态(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Copy key ID</source>
        <translation>复制密钥 ID(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;About Aether Console</source>
        <translation>关于 Aether 控制台(&amp;A)</translation>
    </message>
    <message>
        <source>Learning policy</source>
        <translation>学习策略</translation>
    </message>
    <message>
        <source>Learning &amp;policy</source>
        <translation>学习策略(&amp;P)</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>Select &amp;all shown</source>
        <translation>选择当前显示的全部密钥(&amp;A)</translation>
    </message>
    <message>
        <source>Select every key the table shows with its filter, including rows not loaded yet, for a change of them all</source>
        <translation>选择表格在当前筛选条件下显示的全部密钥（包括尚未加载的行），以便批量修改</translation>
    </message>
    <message>
        <source>HTTP &amp;API</source>
        <translation>HTTP 接口(&amp;A)</translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation>模拟器</translation>
    </message>
    <message>
        <source>Si&amp;mulator</source>
        <translation>模拟器(&amp;M)</translation>
    </message>
    <message>
        <source>HTTP AP&amp;I</source>
        <translation>HTTP 接口(&amp;I)</translation>
    </message>
    <message>
        <source>A&amp;udit</source>
        <translation>审计日志(&amp;U)</translation>
    </message>
</context>
<context>
    <name>PolicyPage</name>
    <message>
        <source>How every console and gateway on this database learns the limits of adaptive keys. Changes apply to the next event of each key; limits already learned are kept.</source>
        <translation>本页设定使用此数据库的所有控制台和网关学习自适应密钥并发限制的方式。修改从每个密钥的下一个事件起生效；已学习到的限制保持不变。</translation>
    </message>
    <message>
        <source>Limits and decreases</source>
        <translation>限制与缩容</translation>
    </message>
    <message>
        <source>Initial limit</source>
        <translation>初始并发限制</translation>
    </message>
    <message>
        <source>Minimum limit</source>
        <translation>并发限制下限</translation>
    </message>
    <message>
        <source>Maximum limit</source>
        <translation>并发限制上限</translation>
    </message>
    <message>
        <source>Increase step</source>
        <translation>扩容步长</translation>
    </message>
    <message>
        <source>Decrease factor after a concurrency 429</source>
        <translation>并发 429 后的缩容乘数</translation>
    </message>
    <message>
        <source>Decrease factor after an unknown 429</source>
        <translation>未知 429 后的缩容乘数</translation>
    </message>
    <message>
        <source>Increases</source>
        <translation>扩容</translation>
    </message>
    <message>
        <source>Cooldown after a 429</source>
        <translation>429 后的冷却时间</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>Utilisation window: samples</source>
        <translation>利用率窗口：采样数</translation>
    </message>
    <message>
        <source>Utilisation window: seconds</source>
        <translation>利用率窗口：秒数</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>High utilisation threshold</source>
        <translation>高利用率阈值</translation>
    </message>
    <message>
        <source>Share of high samples for an increase</source>
        <translation>扩容所需的高利用率采样占比</translation>
    </message>
    <message>
        <source>Samples needed for a decision</source>
        <translation>决策所需的最少采样数</translation>
    </message>
    <message>
        <source>Probing and history</source>
        <translation>探测与历史记录</translation>
    </message>
    <message>
        <source>Probe interval</source>
        <translation>探测间隔</translation>
    </message>
    <message>
        <source>Samples needed for a probe</source>
        <translation>探测所需的最少采样数</translation>
    </message>
    <message>
        <source>Mean utilisation needed for a probe</source>
        <translation>探测所需的最低平均利用率</translation>
    </message>
    <message>
        <source>Adjustment records kept</source>
        <translation>保留的调整记录数</translation>
    </message>
    <message>
        <source>Strategy</source>
        <translation>调整算法</translation>
    </message>
    <message>
        <source>Reset to defaults…</source>
        <translation>恢复默认值…</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>撤销修改</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Aether Console</source>
        <translation>Aether 控制台</translation>
    </message>
    <message>
        <source>The database address is not valid: %1</source>
        <translation>数据库地址无效：%1</translation>
    </message>
    <message>
        <source>A new console database was created at %1.

Fill it with demo data (3 providers, 5 endpoints, 40 keys with histories) to look around?</source>
        <translation>已在 %1 创建新的控制台数据库。

要填充演示数据（3 个提供商、5 个端点、40 个带调整历史的密钥）来试用控制台吗？</translation>
    </message>
</context>
<context>
    <name>QProgressDialog</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>Reason</name>
    <message>
        <source>Concurrency 429</source>
        <translation>并发 429</translation>
    </message>
    <message>
        <source>Unknown 429</source>
        <translation>未知 429</translation>
    </message>
    <message>
        <source>High utilisation</source>
        <translation>高利用率</translation>
    </message>
    <message>
        <source>Probe increase</source>
        <translation>探测性扩容</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>&amp;Embedded SQLite file</source>
        <translation>内置 SQLite 文件(&amp;E)</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;PostgreSQL server</source>
        <translation>PostgreSQL 服务器(&amp;P)</translation>
    </message>
    <message>
        <source>Host:</source>
        <translation>主机：</translation>
    </message>
    <message>
        <source>localhost or /run/postgresql</source>
        <translation>localhost 或 /run/postgresql</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>数据库：</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视图</translation>
    </message>
    <message>
        <source>Refresh automatically</source>
        <translation>自动刷新</translation>
    </message>
    <message>
        <source>Refresh every:</source>
        <translation>刷新间隔：</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>TLS certificate:</source>
        <translation>TLS 证书：</translation>
    </message>
    <message>
        <source>PEM file; empty: plain HTTP</source>
        <translation>PEM 文件；留空则使用未加密的 HTTP</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>TLS private key:</source>
        <translation>TLS 私钥：</translation>
    </message>
    <message>
        <source>PEM file of the certificate&apos;s key</source>
        <translation>证书私钥的 PEM 文件</translation>
    </message>
    <message>
        <source>HTTP API</source>
        <translation>HTTP 接口</translation>
    </message>
    <message>
        <source>Start the HTTP API when the console opens</source>
        <translation>打开控制台时启动 HTTP 接口</translation>
    </message>
    <message>
        <source>Keep 429s over time:</source>
        <translation>429 趋势保留：</translation>
    </message>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>How long the time series of each key&apos;s 429s, adjustments and limit is kept (older than 48 hours it is kept by the hour). Applies to this console&apos;s own cleanup; --retention-days overrides it.</source>
        <translation>每个密钥的 429 次数、调整次数和有效限制的时间序列保留时长（超过 48 小时的数据按小时保存）。仅作用于本控制台自身的清理；--retention-days 会覆盖此设置。</translation>
    </message>
</context>
<context>
    <name>Signal</name>
    <message>
        <source>nothing worked at this concurrency lately: held just below it</source>
        <translation>近期在该并发数下均未成功：保持在略低于该值的水平</translation>
    </message>
    <message>
        <source>the probe one above the hold failed: the next one waits longer</source>
        <translation>高出一档的探测失败：下一次探测等待更久</translation>
    </message>
    <message>
        <source>it worked at this concurrency a moment ago: the capacity fell</source>
        <translation>该并发数刚刚还能成功：容量下降了</translation>
    </message>
    <message>
        <source>another 429 of the same fall: the capacity is lower still</source>
        <translation>同一轮下降中再次出现 429：容量还要更低</translation>
    </message>
    <message>
        <source>the limit binds and no ceiling is known: grown</source>
        <translation>并发限制已用满，且尚无已知上限：扩容</translation>
    </message>
    <message>
        <source>busy before any 429: held at the policy&apos;s maximum</source>
        <translation>尚无 429 时已很繁忙：设为学习策略的并发限制上限</translation>
    </message>
    <message>
        <source>the hold has passed: one slot above, to see whether the capacity rose</source>
        <translation>等待期已过：上调一档，探测容量是否已上升</translation>
    </message>
    <message>
        <source>faster per token at the same concurrency: probed early</source>
        <translation>相同并发数下每个 token 耗时更短：提前探测</translation>
    </message>
    <message>
        <source>a probe worked far below the best level: back to it</source>
        <translation>远低于最佳水平时探测成功：回到最佳水平</translation>
    </message>
</context>
<context>
    <name>Strategy</name>
    <message>
        <source>holds just below the concurrency at which 429s came, probes above it rarely; about half the reference&apos;s 429s</source>
        <translation>保持在略低于出现 429 时的并发数，很少向上探测；429 次数约为原算法的一半</translation>
    </message>
    <message>
        <source>the original service&apos;s algorithm, bit for bit</source>
        <translation>与原服务的算法完全一致</translation>
    </message>
    <message>
        <source>the original algorithm, but a 429 never raises the limit</source>
        <translation>原算法，但 429 不会抬高并发限制</translation>
    </message>
</context>
<context>
    <name>SummaryPage</name>
    <message>
        <source>Adaptive keys of all endpoints</source>
        <translation>所有端点的自适应密钥</translation>
    </message>
    <message>
        <source>Adaptive keys</source>
        <translation>自适应密钥</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变化</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Fixed keys</source>
        <translation>固定限制密钥</translation>
    </message>
    <message>
        <source>Concurrency 429s of adaptive keys</source>
        <translation>自适应密钥的并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s of adaptive keys</source>
        <translation>自适应密钥的 RPM 429 次数</translation>
    </message>
    <message>
        <source>Adjustments of adaptive keys</source>
        <translation>自适应密钥的调整次数</translation>
    </message>
    <message>
        <source>Most recent adjustments of adaptive keys</source>
        <translation>自适应密钥的最近调整</translation>
    </message>
</context>
<context>
    <name>TokenDialog</name>
    <message>
        <source>Access tokens</source>
        <translation>访问令牌</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>角色：</translation>
    </message>
    <message>
        <source>&amp;Create</source>
        <translation>创建(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Revoke…</source>
        <translation>吊销(&amp;R)…</translation>
    </message>
    <message>
        <source>New token (shown only now)</source>
        <translation>新令牌（仅此次显示）</translation>
    </message>
    <message>
        <source>Co&amp;py</source>
        <translation>复制(&amp;P)</translation>
    </message>
    <message>
        <source>Admin</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Viewer (read only)</source>
        <translation>查看者（只读）</translation>
    </message>
    <message>
        <source>Gateway (events and limits)</source>
        <translation>网关（事件与限制）</translation>
    </message>
    <message>
        <source>Scripts and gateways call the HTTP API with one of these tokens (Authorization: Bearer …). Only a hash of each token is stored.</source>
        <translation>脚本和网关使用以下令牌之一调用 HTTP 接口（Authorization: Bearer …）。系统仅保存每个令牌的哈希值。</translation>
    </message>
</context>
<context>
    <name>aether::gui::AuditPage</name>
    <message>
        <source>adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Mode switched</source>
        <translation>切换模式</translation>
    </message>
    <message>
        <source>Fixed limit set</source>
        <translation>设置固定限制</translation>
    </message>
    <message>
        <source>Learning reset</source>
        <translation>重置学习状态</translation>
    </message>
    <message>
        <source>Policy changed</source>
        <translation>修改学习策略</translation>
    </message>
    <message>
        <source>Policy reset to defaults</source>
        <translation>恢复默认学习策略</translation>
    </message>
    <message>
        <source>no change</source>
        <extracomment>separates the fields of one audit entry</extracomment>
        <translation>无变化</translation>
    </message>
    <message>
        <source>A&amp;ctor:</source>
        <translation>操作者(&amp;C)：</translation>
    </message>
    <message>
        <source>Ac&amp;tion:</source>
        <translation>操作(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Period:</source>
        <translation>时间范围(&amp;P)：</translation>
    </message>
    <message>
        <source>Key id</source>
        <translation>密钥 ID</translation>
    </message>
    <message>
        <source>Only the changes of the key with this id</source>
        <translation>只显示该 ID 对应密钥的变更</translation>
    </message>
    <message>
        <source>e.g. token:ops or gui:*</source>
        <translation>例如 token:ops 或 gui:*</translation>
    </message>
    <message>
        <source>Who made the change: exactly this actor, or all actors that start with the text before a final *</source>
        <translation>变更的操作者：与输入完全相同的操作者；以 * 结尾时，匹配以 * 前文字开头的所有操作者</translation>
    </message>
    <message>
        <source>All actions</source>
        <translation>全部操作</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>不限时间</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation>导出 CSV(&amp;X)…</translation>
    </message>
    <message>
        <source>Write every entry the filter selects (all pages) to a CSV file</source>
        <translation>将筛选出的全部记录（所有页）写入 CSV 文件</translation>
    </message>
    <message>
        <source>← Newer</source>
        <translation>← 较新</translation>
    </message>
    <message>
        <source>Older →</source>
        <translation>较早 →</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Actor</source>
        <translation>操作者</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变更</translation>
    </message>
    <message>
        <source>token:&lt;name&gt; for the HTTP API, gui:&lt;user&gt;@&lt;host&gt; for the window, cli for the command line</source>
        <translation>token:&lt;名称&gt; 表示 HTTP 接口，gui:&lt;用户&gt;@&lt;主机&gt; 表示控制台窗口，cli 表示命令行</translation>
    </message>
    <message>
        <source>The stored values before → after the change</source>
        <translation>变更前 → 变更后的存储值</translation>
    </message>
    <message>
        <source>(policy)</source>
        <translation>（学习策略）</translation>
    </message>
    <message>
        <source>%1
id %2</source>
        <translation>%1
ID %2</translation>
    </message>
    <message>
        <source>id %1 (no longer in the database)</source>
        <translation>ID %1（数据库中已不存在）</translation>
    </message>
    <message>
        <source>No changes recorded for this filter.</source>
        <translation>没有符合筛选条件的变更记录。</translation>
    </message>
    <message>
        <source>Entries %1–%2, newest first</source>
        <translation>第 %1–%2 条，最新的在前</translation>
    </message>
    <message>
        <source>Export audit log as CSV</source>
        <translation>将审计日志导出为 CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting the audit log…</source>
        <translation>正在导出审计日志…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Exporting the audit log… %1 entries</source>
        <translation>正在导出审计日志…已导出 %1 条</translation>
    </message>
    <message>
        <source>Max concurrent</source>
        <translation>最大并发</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>学习值</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <extracomment>a field of an audit entry: its name, the value before and the value after the change</extracomment>
        <translation>%1：%2 → %3</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>K&amp;ey:</source>
        <translation>密钥(&amp;E)：</translation>
    </message>
</context>
<context>
    <name>aether::gui::EndpointControl</name>
    <message>
        <source>HTTP API</source>
        <translation>HTTP 接口</translation>
    </message>
    <message>
        <source>The HTTP API could not start on %1:%2.
%3</source>
        <translation>HTTP 接口无法在 %1:%2 上启动。
%3</translation>
    </message>
    <message>
        <source>HTTP API: %1://%2:%3</source>
        <translation>HTTP 接口：%1://%2:%3</translation>
    </message>
    <message>
        <source>HTTP API: off</source>
        <translation>HTTP 接口：已停止</translation>
    </message>
    <message>
        <source>Stop HTTP &amp;API</source>
        <translation>停止 HTTP 接口(&amp;A)</translation>
    </message>
    <message>
        <source>Start HTTP &amp;API</source>
        <translation>启动 HTTP 接口(&amp;A)</translation>
    </message>
</context>
<context>
    <name>aether::gui::HistoryChartView</name>
    <message>
        <source>Limit</source>
        <translation>限制</translation>
    </message>
    <message>
        <source>Time (local)</source>
        <translation>时间（本地）</translation>
    </message>
    <message>
        <source>Adjustment history</source>
        <translation>调整历史</translation>
    </message>
    <message>
        <source>Adjustment history: none yet</source>
        <translation>调整历史：暂无</translation>
    </message>
    <message>
        <source>Adjustment history of %1</source>
        <translation>%1 的调整历史</translation>
    </message>
    <message>
        <source>Operator change</source>
        <translation>手动变更</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyDetailWidget</name>
    <message>
        <source>No key selected</source>
        <translation>未选择密钥</translation>
    </message>
    <message>
        <source>never</source>
        <translation>无</translation>
    </message>
    <message>
        <source>The gateway learns this key&apos;s limit from its 429 responses and how busy it is.</source>
        <translation>网关根据该密钥的 429 响应和繁忙程度学习其并发限制。</translation>
    </message>
    <message>
        <source>The gateway never sends more than this many requests at once with this key (%1–%2). What was learned is kept.</source>
        <translation>网关使用该密钥同时发送的请求数不会超过此值（%1–%2）。已学习的状态会保留。</translation>
    </message>
    <message>
        <source>Reset learning</source>
        <translation>重置学习状态</translation>
    </message>
    <message>
        <source>Reset what was learned for %1?</source>
        <translation>要重置 %1 的学习状态吗？</translation>
    </message>
    <message>
        <source>This clears the learned limit, both 429 counters, the time and type of the last 429, the adjustment history and the utilisation samples.

The mode (%1) and the fixed limit stay as they are.</source>
        <translation>此操作将清除学习到的并发限制、两个 429 计数器、最近 429 的时间和类型、调整历史以及利用率采样。

模式（%1）和固定限制保持不变。</translation>
    </message>
    <message>
        <source>Save learned state…</source>
        <translation>保存学习状态…</translation>
    </message>
    <message>
        <source>Write everything the reset clears (limit, counters, history, samples) to a JSON file first</source>
        <translation>先将重置会清除的全部内容（学习值、计数、调整历史、利用率采样）写入 JSON 文件</translation>
    </message>
    <message>
        <source>Save learned state</source>
        <translation>保存学习状态</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>JSON 文件 (*.json)</translation>
    </message>
    <message>
        <source>Learned state of %1 saved to %2</source>
        <translation>%1 的学习状态已保存到 %2</translation>
    </message>
    <message>
        <source>— (no limit until one is learned; the learning starts from %1)</source>
        <translation>—（学习到限制之前不限制；学习从 %1 开始）</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyFilterBar</name>
    <message>
        <source>Active and inactive</source>
        <translation>启用和未启用</translation>
    </message>
    <message>
        <source>Active only</source>
        <translation>仅启用</translation>
    </message>
    <message>
        <source>Inactive only</source>
        <translation>仅未启用</translation>
    </message>
    <message>
        <source>The gateway&apos;s is_active flag of each key</source>
        <translation>网关中每个密钥的 is_active 标志</translation>
    </message>
    <message>
        <source>429s ≥</source>
        <translation>429 次数 ≥</translation>
    </message>
    <message>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>Keys with at least this many 429 responses (concurrency and RPM together)</source>
        <translation>429 响应次数（并发与 RPM 合计）不少于该值的密钥</translation>
    </message>
    <message>
        <source>Last 429: any time</source>
        <translation>最近 429：不限时间</translation>
    </message>
    <message>
        <source>Last 429: past hour</source>
        <translation>最近 429：1 小时内</translation>
    </message>
    <message>
        <source>Last 429: past 24 hours</source>
        <translation>最近 429：24 小时内</translation>
    </message>
    <message>
        <source>Last 429: past 7 days</source>
        <translation>最近 429：7 天内</translation>
    </message>
    <message>
        <source>Keys whose last 429 response came within this period</source>
        <translation>最近一次 429 响应在该时间范围内的密钥</translation>
    </message>
    <message>
        <source>Any 429 type</source>
        <translation>全部 429 类型</translation>
    </message>
    <message>
        <source>The type of each key&apos;s last 429</source>
        <translation>每个密钥最近一次 429 的类型</translation>
    </message>
    <message>
        <source>At the minimum limit</source>
        <translation>处于并发限制下限</translation>
    </message>
    <message>
        <source>Adaptive keys whose learned limit is down at the learning policy&apos;s minimum limit</source>
        <translation>学习值已降至学习策略并发限制下限的自适应密钥</translation>
    </message>
</context>
<context>
    <name>aether::gui::KeyTableModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>提供商</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Max concurrent</source>
        <translation>最大并发</translation>
    </message>
    <message>
        <source>Learned limit</source>
        <translation>学习值</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>有效限制</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>Last 429</source>
        <translation>最近 429</translation>
    </message>
    <message>
        <source>Last 429 type</source>
        <translation>最近 429 类型</translation>
    </message>
    <message>
        <source>Adjustments</source>
        <translation>调整次数</translation>
    </message>
    <message>
        <source>Key ID</source>
        <translation>密钥 ID</translation>
    </message>
    <message>
        <source>Endpoint ID</source>
        <translation>端点 ID</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>固定</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发</translation>
    </message>
    <message>
        <source>RPM</source>
        <translation>RPM</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>The key&apos;s name in the gateway</source>
        <translation>密钥在网关中的名称</translation>
    </message>
    <message>
        <source>The provider the key&apos;s endpoint belongs to</source>
        <translation>密钥所属端点的提供商</translation>
    </message>
    <message>
        <source>The provider&apos;s API endpoint (API format) the key is used for</source>
        <translation>密钥所用的提供商 API 端点（API 格式）</translation>
    </message>
    <message>
        <source>Adaptive: the limit is learned from 429 responses. Fixed: the limit is max concurrent</source>
        <translation>自适应：根据 429 响应学习并发限制。固定：并发限制即最大并发</translation>
    </message>
    <message>
        <source>429 responses caused by too many concurrent requests, since the last reset</source>
        <translation>自上次重置以来，因并发请求过多而收到的 429 响应次数</translation>
    </message>
    <message>
        <source>429 responses caused by the requests-per-minute limit, since the last reset</source>
        <translation>自上次重置以来，因每分钟请求数（RPM）限制而收到的 429 响应次数</translation>
    </message>
    <message>
        <source>When the last 429 response came (local time)</source>
        <translation>最近一次 429 响应的时间（本地时间）</translation>
    </message>
    <message>
        <source>Whether the last 429 was a concurrency, an RPM or an unknown limit</source>
        <translation>最近一次 429 是并发限制、RPM 限制还是未知限制</translation>
    </message>
    <message>
        <source>How many limit adjustments the kept history holds (the policy keeps the most recent ones)</source>
        <translation>保留的调整历史中的调整次数（学习策略只保留最近的记录）</translation>
    </message>
    <message>
        <source>The fixed concurrency limit (1–100); — for adaptive keys</source>
        <translation>固定并发限制（1–100）；自适应密钥显示 —</translation>
    </message>
    <message>
        <source>The concurrency limit learned so far; — until the first adjustment</source>
        <translation>目前学习到的并发限制；首次调整前显示 —</translation>
    </message>
    <message>
        <source>The limit the gateway enforces: max concurrent for fixed keys, the learned limit for adaptive keys (— while nothing is learned: no limit on the key)</source>
        <translation>网关实际执行的限制：固定密钥为最大并发，自适应密钥为学习值（尚未学习时显示 —：该密钥不受限制）</translation>
    </message>
    <message>
        <source>%1 (inactive: the gateway does not use this key)</source>
        <translation>%1（未启用：网关不使用此密钥）</translation>
    </message>
    <message>
        <source>Whether the gateway uses the key (its is_active flag); inactive keys are drawn dimmed</source>
        <translation>网关是否使用此密钥（is_active 标志）；未启用的密钥以灰色显示</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
</context>
<context>
    <name>aether::gui::MainWindow</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>Fixed</source>
        <translation>固定</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>数据库：%1</translation>
    </message>
    <message>
        <source>Refreshed at %1</source>
        <translation>已于 %1 刷新</translation>
    </message>
    <message>
        <source>&lt;b&gt;The database cannot be used.&lt;/b&gt; %1 Nothing was changed. Retry when it is back; the console also retries with each refresh.</source>
        <translation>&lt;b&gt;数据库无法使用。&lt;/b&gt; %1 未做任何更改。请在数据库恢复后重试；控制台也会在每次刷新时自动重试。</translation>
    </message>
    <message>
        <source>Switch mode</source>
        <translation>切换模式</translation>
    </message>
    <message>
        <source>Set fixed limit</source>
        <translation>设置固定限制</translation>
    </message>
    <message>
        <source>Fixed concurrency limit (%1–%2):</source>
        <translation>固定并发限制（%1–%2）：</translation>
    </message>
    <message>
        <source>Copied key ID %1</source>
        <translation>已复制密钥 ID %1</translation>
    </message>
    <message>
        <source>Export table as CSV</source>
        <translation>导出表格为 CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting keys…</source>
        <translation>正在导出密钥列表…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n key(s) to %1</source>
        <translation>
            <numerusform>已将 %n 个密钥导出到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Save chart as PNG</source>
        <translation>保存图表为 PNG</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>The image could not be written to %1.</source>
        <translation>无法将图像写入 %1。</translation>
    </message>
    <message>
        <source>Chart saved to %1</source>
        <translation>图表已保存到 %1</translation>
    </message>
    <message>
        <source>About Aether Console</source>
        <translation>关于 Aether 控制台</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Aether Console %1&lt;/h3&gt;&lt;p&gt;Administration of per-key adaptive concurrency for an LLM API gateway: see every key&apos;s state, switch modes, set limits, reset what was learned, and see why a limit moved.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Aether 控制台 %1&lt;/h3&gt;&lt;p&gt;管理 LLM API 网关中每个密钥的自适应并发：查看每个密钥的状态、切换模式、设置限制、重置学习状态，并了解限制变化的原因。&lt;/p&gt;</translation>
    </message>
    <message numerus="yes">
        <source>All %1 key(s) shown are selected: a key action applies to every one of them.</source>
        <translation>
            <numerusform>已选择当前显示的全部 %1 个密钥：密钥操作将应用于所有这些密钥。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The learning policy has %n edit(s) that are not applied; they are lost.</source>
        <translation>
            <numerusform>学习策略有 %n 项修改尚未应用，退出后将丢失。</numerusform>
        </translation>
    </message>
    <message>
        <source>Quit Aether Console</source>
        <translation>退出 Aether 控制台</translation>
    </message>
    <message>
        <source>Quit Aether Console?</source>
        <translation>要退出 Aether 控制台吗？</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>The HTTP API on port %1 stops; scripts and gateways using it lose their connection.</source>
        <translation>端口 %1 上的 HTTP 接口将停止，正在使用它的脚本和网关会断开连接。</translation>
    </message>
    <message>
        <source>&lt;h3&gt;No keys in this database yet&lt;/h3&gt;&lt;p&gt;The console shows the provider API keys of a gateway. To work with real keys, open the gateway&apos;s own database: &lt;b&gt;File → Settings… → Database&lt;/b&gt; (PostgreSQL; its tables are used as they are).&lt;/p&gt;&lt;p&gt;To look around first, fill an empty database with demo keys: &lt;code&gt;aether-console --database URL --prepare --demo&lt;/code&gt;, or start the console on a new SQLite file and accept the demo data.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;此数据库中还没有密钥&lt;/h3&gt;&lt;p&gt;控制台显示网关的提供商 API 密钥。要管理真实的密钥，请打开网关自己的数据库：&lt;b&gt;文件 → 设置… → 数据库&lt;/b&gt;（PostgreSQL；直接使用其中的表）。&lt;/p&gt;&lt;p&gt;如想先熟悉一下，可以为空数据库填充演示密钥：&lt;code&gt;aether-console --database URL --prepare --demo&lt;/code&gt;，或在新的 SQLite 文件上启动控制台并接受演示数据。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Saved &amp;Views</source>
        <translation>已保存的视图(&amp;V)</translation>
    </message>
    <message>
        <source>No saved views</source>
        <translation>没有已保存的视图</translation>
    </message>
    <message>
        <source>Save Current View…</source>
        <translation>保存当前视图…</translation>
    </message>
    <message>
        <source>Delete View</source>
        <translation>删除视图</translation>
    </message>
    <message>
        <source>Save View</source>
        <translation>保存视图</translation>
    </message>
    <message>
        <source>A name for the current filters, sort order and columns of the key table:</source>
        <translation>为密钥表当前的筛选条件、排序和列命名：</translation>
    </message>
    <message>
        <source>A view&apos;s name has 1 to %1 characters.</source>
        <translation>视图名称须为 1 到 %1 个字符。</translation>
    </message>
    <message>
        <source>A view named “%1” exists. Replace it?</source>
        <translation>已有名为“%1”的视图。要替换它吗？</translation>
    </message>
    <message>
        <source>View “%1” saved</source>
        <translation>已保存视图“%1”</translation>
    </message>
    <message>
        <source>View “%1”</source>
        <translation>视图“%1”</translation>
    </message>
    <message>
        <source>View “%1”: its provider or endpoint is gone; showing all endpoints</source>
        <translation>视图“%1”：其提供商或端点已不存在，显示所有端点</translation>
    </message>
    <message>
        <source>Delete the saved view “%1”?</source>
        <translation>要删除已保存的视图“%1”吗？</translation>
    </message>
    <message numerus="yes">
        <source>%Ln key(s)</source>
        <translation>
            <numerusform>%Ln 个密钥</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>aether::gui::NavigationTree</name>
    <message>
        <source>All endpoints</source>
        <translation>所有端点</translation>
    </message>
</context>
<context>
    <name>aether::gui::PolicyPage</name>
    <message>
        <source>default: %1</source>
        <translation>默认：%1</translation>
    </message>
    <message>
        <source>Policy saved. Limits already learned are kept; the next event of each key uses it.</source>
        <translation>学习策略已保存。已学习到的限制保持不变；从每个密钥的下一个事件起按新的学习策略学习。</translation>
    </message>
    <message>
        <source>Reset the learning policy</source>
        <translation>恢复默认学习策略</translation>
    </message>
    <message>
        <source>Restore the default value of every parameter? This applies to every console and gateway that uses this database. Limits already learned are kept.</source>
        <translation>要将所有参数恢复为默认值吗？这会影响使用此数据库的所有控制台和网关。已学习到的限制保持不变。</translation>
    </message>
    <message>
        <source>Reset to defaults</source>
        <translation>恢复默认值</translation>
    </message>
    <message>
        <source>Default values restored.</source>
        <translation>已恢复默认值。</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>%1 must be at least %2.</source>
        <translation>%1 不能小于 %2。</translation>
    </message>
    <message>
        <source>%1 must be at most %2.</source>
        <translation>%1 不能大于 %2。</translation>
    </message>
    <message>
        <source>%1 must be greater than %2.</source>
        <translation>%1 必须大于 %2。</translation>
    </message>
    <message>
        <source>%1 must be less than %2.</source>
        <translation>%1 必须小于 %2。</translation>
    </message>
    <message>
        <source>%1 is not valid.</source>
        <translation>%1 无效。</translation>
    </message>
    <message>
        <source>%1: %2 → %3</source>
        <translation>%1：%2 → %3</translation>
    </message>
    <message>
        <source>Apply the learning policy</source>
        <translation>应用学习策略</translation>
    </message>
    <message numerus="yes">
        <source>Apply %n change(s) to the learning policy?</source>
        <translation>
            <numerusform>要将 %n 项修改应用到学习策略吗？</numerusform>
        </translation>
    </message>
    <message>
        <source>Every console and gateway on this database learns with it from each key&apos;s next event. Limits already learned are kept.</source>
        <translation>使用此数据库的所有控制台和网关，都将从每个密钥的下一个事件起按新的学习策略学习。已学习到的限制保持不变。</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>The limit the learning starts from while nothing is learned (until then the gateway enforces no limit on the key).</source>
        <translation>尚未学习时，学习从该并发限制开始（在此之前网关不限制该密钥）。</translation>
    </message>
    <message>
        <source>A decrease never goes below this.</source>
        <translation>缩容后不会低于该值。</translation>
    </message>
    <message>
        <source>An increase never goes above this.</source>
        <translation>扩容后不会高于该值。</translation>
    </message>
    <message>
        <source>How much an increase (high utilisation or probe) adds.</source>
        <translation>每次扩容（高利用率或探测性扩容）增加的数量。</translation>
    </message>
    <message>
        <source>A concurrency 429 sets the limit to the concurrency at the 429 times this.</source>
        <translation>发生并发 429 时，并发限制设为当时的并发数乘以该值。</translation>
    </message>
    <message>
        <source>A 429 of unknown kind multiplies the limit by this.</source>
        <translation>发生未知 429 时，并发限制乘以该值。</translation>
    </message>
    <message>
        <source>No increase for this long after any 429, RPM 429s included.</source>
        <translation>任何 429（包括 RPM 429）之后的这段时间内不扩容。</translation>
    </message>
    <message>
        <source>How many of the latest utilisation samples count.</source>
        <translation>参与计算的最近利用率采样数。</translation>
    </message>
    <message>
        <source>Only samples of this many last seconds count.</source>
        <translation>只计算最近该秒数内的采样。</translation>
    </message>
    <message>
        <source>A sample counts as busy at this utilisation (concurrency ÷ limit) or more.</source>
        <translation>利用率（并发数 ÷ 并发限制）达到该值的采样视为繁忙。</translation>
    </message>
    <message>
        <source>The limit increases when at least this share of the samples is busy.</source>
        <translation>繁忙采样的占比达到该值时扩容。</translation>
    </message>
    <message>
        <source>Samples needed before a high-utilisation increase.</source>
        <translation>高利用率扩容前至少需要的采样数。</translation>
    </message>
    <message>
        <source>A probe increase needs this long since the last 429 and since the last probe.</source>
        <translation>距上次 429 和上次探测性扩容都超过这段时间，才会进行探测性扩容。</translation>
    </message>
    <message>
        <source>Samples needed for a probe increase.</source>
        <translation>探测性扩容至少需要的采样数。</translation>
    </message>
    <message>
        <source>Mean utilisation needed for a probe increase.</source>
        <translation>探测性扩容所需的平均利用率。</translation>
    </message>
    <message>
        <source>How many adjustment records each key keeps.</source>
        <translation>每个密钥保留的调整记录数。</translation>
    </message>
    <message>
        <source>The adjustment algorithm.</source>
        <translation>调整算法。</translation>
    </message>
</context>
<context>
    <name>aether::gui::Rate429ChartView</name>
    <message>
        <source>Concurrency 429s</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>429 responses</source>
        <translation>429 响应</translation>
    </message>
    <message>
        <source>429s per key: none recorded</source>
        <translation>各密钥的 429 次数：暂无记录</translation>
    </message>
    <message numerus="yes">
        <source>429s per key (top %n)</source>
        <translation>
            <numerusform>各密钥的 429 次数（前 %n 个）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>429s per key in %1 (top %n)</source>
        <translation>
            <numerusform>%1 中各密钥的 429 次数（前 %n 个）</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (fixed)</source>
        <comment>a key with a fixed limit in the 429 chart</comment>
        <translation>%1（固定）</translation>
    </message>
</context>
<context>
    <name>aether::gui::SettingsDialog</name>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>SQLite database file</source>
        <translation>SQLite 数据库文件</translation>
    </message>
    <message>
        <source>SQLite databases (*.sqlite *.db);;All files (*)</source>
        <translation>SQLite 数据库 (*.sqlite *.db);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose an SQLite file.</source>
        <translation>请选择一个 SQLite 文件。</translation>
    </message>
    <message>
        <source>Host, database and user are needed for PostgreSQL.</source>
        <translation>PostgreSQL 需要填写主机、数据库和用户名。</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Connected to %1.</source>
        <translation>已连接到 %1。</translation>
    </message>
    <message>
        <source>The HTTP address must be an IP address such as 127.0.0.1.</source>
        <translation>HTTP 地址必须是 IP 地址，例如 127.0.0.1。</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt *.key);;所有文件 (*)</translation>
    </message>
    <message>
        <source>TLS certificate</source>
        <translation>TLS 证书</translation>
    </message>
    <message>
        <source>TLS private key</source>
        <translation>TLS 私钥</translation>
    </message>
    <message>
        <source>HTTPS needs both a certificate and its private key.</source>
        <translation>HTTPS 需要同时提供证书及其私钥。</translation>
    </message>
    <message>
        <source>The TLS files cannot be used: %1</source>
        <translation>无法使用这些 TLS 文件：%1</translation>
    </message>
</context>
<context>
    <name>aether::gui::SimulatorPage</name>
    <message>
        <source>Hidden limit 30; demand 10 for 4 minutes, then bursts of 90 for 1 minute.</source>
        <translation>真实并发上限 30；需求 10 持续 4 分钟，然后突增到 90 持续 1 分钟。</translation>
    </message>
    <message>
        <source>Hidden limit 50; demand swings between 10 and 90 over an hour.</source>
        <translation>真实并发上限 50；需求在一小时内于 10 到 90 之间起伏。</translation>
    </message>
    <message>
        <source>Latency does not grow with load; hidden limit 80 falls to 35 at 30 minutes; demand 120, with a quiet quarter hour.</source>
        <translation>延迟不随负载增长；真实并发上限 80，第 30 分钟降到 35；需求 120，其间有一刻钟的低谷。</translation>
    </message>
    <message>
        <source>Hidden limit 150, three times the initial limit; demand 220: how fast the limit climbs.</source>
        <translation>真实并发上限 150，是初始并发限制的三倍；需求 220：考察并发限制的上升速度。</translation>
    </message>
    <message>
        <source>Hidden limit 200, the policy&apos;s maximum; demand 300.</source>
        <translation>真实并发上限 200，等于学习策略的并发限制上限；需求 300。</translation>
    </message>
    <message>
        <source>Hidden limit 40, falls to 12 at 40 minutes, rises to 60 at 80 minutes; demand 90.</source>
        <translation>真实并发上限 40，第 40 分钟降到 12，第 80 分钟升到 60；需求 90。</translation>
    </message>
    <message>
        <source>Long outputs (median 2,000 tokens); hidden limit 25, demand 50.</source>
        <translation>长输出（中位数 2,000 个 token）；真实并发上限 25，需求 50。</translation>
    </message>
    <message>
        <source>Hidden limit 20 rises to 50 at 30 minutes without a fall before; demand 80.</source>
        <translation>真实并发上限 20，此前未曾下降，第 30 分钟升到 50；需求 80。</translation>
    </message>
    <message>
        <source>Hidden limit 100 rises to 150 at 30 minutes and 190 at 60 minutes, falls to 120 at 90 minutes; demand 220.</source>
        <translation>真实并发上限 100，第 30 分钟升到 150、第 60 分钟升到 190，第 90 分钟降到 120；需求 220。</translation>
    </message>
    <message>
        <source>An RPM cap of 30 a minute without rate-limit headers (its 429s look like concurrency 429s); hidden limit 30, demand 40.</source>
        <translation>每分钟 30 次的 RPM 上限，且没有限流响应头（其 429 看起来像并发 429）；真实并发上限 30，需求 40。</translation>
    </message>
    <message>
        <source>As rpm_periods, but without rate-limit headers: RPM 429s look like concurrency 429s.</source>
        <translation>同 rpm_periods，但没有限流响应头：RPM 429 看起来像并发 429。</translation>
    </message>
    <message>
        <source>Hidden limit 40, demand 60; an RPM cap of 45 a minute from 15 to 30 and from 45 to 60 minutes, announced by headers.</source>
        <translation>真实并发上限 40，需求 60；第 15–30 分钟和第 45–60 分钟有每分钟 45 次的 RPM 上限，由响应头告知。</translation>
    </message>
    <message>
        <source>Hidden limit 40; other users of the key hold 0 to 8 requests (redrawn every minute); demand 80.</source>
        <translation>真实并发上限 40；该密钥的其他使用者占用 0 到 8 个请求（每分钟重新抽取）；需求 80。</translation>
    </message>
    <message>
        <source>Hidden limit 8; demand swings between 2 and 16 over an hour.</source>
        <translation>真实并发上限 8；需求在一小时内于 2 到 16 之间起伏。</translation>
    </message>
    <message>
        <source>Hidden limit 30, 20, 45, 15, 30, changing every 30 minutes; demand 70.</source>
        <translation>真实并发上限依次为 30、20、45、15、30，每 30 分钟变化一次；需求 70。</translation>
    </message>
    <message>
        <source>Hidden limit 40; demand twice the limit for an hour.</source>
        <translation>真实并发上限 40；一小时内需求为上限的两倍。</translation>
    </message>
    <message>
        <source>Hidden limit 2, below the policy&apos;s minimum of 3; demand 6.</source>
        <translation>真实并发上限 2，低于学习策略的并发限制下限 3；需求 6。</translation>
    </message>
    <message>
        <source>Hidden limit 60; other users of the key hold 0 to 25 requests (redrawn every 2 minutes); demand 100.</source>
        <translation>真实并发上限 60；该密钥的其他使用者占用 0 到 25 个请求（每 2 分钟重新抽取）；需求 100。</translation>
    </message>
    <message>
        <source>&amp;Scenario:</source>
        <translation>场景(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Load file…</source>
        <translation>载入文件(&amp;L)…</translation>
    </message>
    <message>
        <source>A scenario in the simulator&apos;s JSON format (sim/README.md)</source>
        <translation>模拟器 JSON 格式的场景（sim/README.md）</translation>
    </message>
    <message>
        <source>S&amp;trategies:</source>
        <translation>调整算法(&amp;T)：</translation>
    </message>
    <message>
        <source>Ran&amp;dom seed:</source>
        <translation>随机种子(&amp;D)：</translation>
    </message>
    <message>
        <source>&amp;Policy values:</source>
        <translation>学习策略参数(&amp;P)：</translation>
    </message>
    <message>
        <source>Parameter</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>&amp;Apply this policy…</source>
        <translation>应用此学习策略(&amp;A)…</translation>
    </message>
    <message>
        <source>Store these policy values (and the first strategy ticked) as the learning policy</source>
        <translation>把这些参数（以及勾选的第一个调整算法）保存为学习策略</translation>
    </message>
    <message>
        <source>Reset &amp;zoom</source>
        <translation>复原缩放(&amp;Z)</translation>
    </message>
    <message>
        <source>Drag a rectangle on the chart to zoom in; right-click to zoom out</source>
        <translation>在图表上拖出矩形可放大；右键单击可缩小</translation>
    </message>
    <message>
        <source>Strategy</source>
        <translation>调整算法</translation>
    </message>
    <message>
        <source>Goodput / oracle</source>
        <translation>有效吞吐 / 理想基准</translation>
    </message>
    <message>
        <source>Concurrency 429s</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>Unknown 429s</source>
        <translation>未知 429 次数</translation>
    </message>
    <message>
        <source>Shed %</source>
        <translation>本地拒绝 %</translation>
    </message>
    <message>
        <source>Settled after (s), per limit</source>
        <translation>收敛用时（秒，每段上限）</translation>
    </message>
    <message>
        <source>Time (minutes)</source>
        <translation>时间（分钟）</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发数</translation>
    </message>
    <message>
        <source>Load a scenario</source>
        <translation>载入场景</translation>
    </message>
    <message>
        <source>Scenarios (*.json);;All files (*)</source>
        <translation>场景 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>%1 (file)</source>
        <translation>%1（文件）</translation>
    </message>
    <message numerus="yes">
        <source>%1 Lasts %n minute(s).</source>
        <translation>
            <numerusform>%1 时长 %n 分钟。</numerusform>
        </translation>
    </message>
    <message>
        <source>Tick at least one strategy.</source>
        <translation>请至少勾选一个调整算法。</translation>
    </message>
    <message>
        <source>%1 is not valid.</source>
        <translation>%1 无效。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>The simulation failed: %1</source>
        <translation>模拟失败：%1</translation>
    </message>
    <message>
        <source>Provider&apos;s hidden limit</source>
        <translation>提供商的真实并发上限</translation>
    </message>
    <message>
        <source>Left by the key&apos;s other users</source>
        <translation>扣除该密钥其他使用者占用后的剩余容量</translation>
    </message>
    <message>
        <source>%1: limit</source>
        <translation>%1：并发限制</translation>
    </message>
    <message>
        <source>%1: concurrency 429s</source>
        <translation>%1：并发 429 次数</translation>
    </message>
    <message>
        <source>oracle (knows the hidden limit)</source>
        <translation>理想基准（知道真实并发上限）</translation>
    </message>
    <message>
        <source>These are the stored values already.</source>
        <translation>这些已经是保存的参数。</translation>
    </message>
    <message>
        <source>The learning policy was stored.</source>
        <translation>学习策略已保存。</translation>
    </message>
    <message numerus="yes">
        <source>Simulating %n strategy(s) over %1…</source>
        <translation>
            <numerusform>正在用 %n 个调整算法模拟 %1…</numerusform>
        </translation>
    </message>
    <message>
        <source>The scenario cannot be used: %1.</source>
        <translation>无法使用该场景：%1。</translation>
    </message>
</context>
<context>
    <name>aether::gui::SummaryPage</name>
    <message>
        <source>All endpoints</source>
        <translation>所有端点</translation>
    </message>
    <message>
        <source>%1: the totals and the most recent adjustments cover its adaptive keys (as the original service&apos;s summary does); the chart shows its adaptive and fixed keys.</source>
        <translation>%1：合计与最近调整只统计其中的自适应密钥（与原服务的汇总一致）；图表显示其中的自适应密钥和固定限制密钥。</translation>
    </message>
    <message>
        <source>all endpoints</source>
        <translation>所有端点</translation>
    </message>
</context>
<context>
    <name>aether::gui::TimelineChartView</name>
    <message>
        <source>Concurrency 429s</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM 429s</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>Unknown 429s</source>
        <translation>未知 429 次数</translation>
    </message>
    <message>
        <source>Effective limit</source>
        <translation>有效限制</translation>
    </message>
    <message>
        <source>Time (local)</source>
        <translation>时间（本地）</translation>
    </message>
    <message>
        <source>429s per bucket</source>
        <translation>429 次数</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>限制</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Concurrency 429s: %1</source>
        <translation>并发 429 次数：%1</translation>
    </message>
    <message>
        <source>RPM 429s: %1</source>
        <translation>RPM 429 次数：%1</translation>
    </message>
    <message>
        <source>Unknown 429s: %1</source>
        <translation>未知 429 次数：%1</translation>
    </message>
    <message>
        <source>Adjustments: %1</source>
        <translation>调整次数：%1</translation>
    </message>
    <message>
        <source>Effective limit at the end: %1</source>
        <translation>时间段结束时的有效限制：%1</translation>
    </message>
    <message>
        <source>none (nothing learned yet)</source>
        <translation>无（未学习）</translation>
    </message>
</context>
<context>
    <name>aether::gui::TokenDialog</name>
    <message>
        <source>The token is on the clipboard.</source>
        <translation>令牌已复制到剪贴板。</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未使用</translation>
    </message>
    <message>
        <source>Give the token a name, e.g. the script or gateway that will use it.</source>
        <translation>请为令牌命名，例如以使用它的脚本或网关命名。</translation>
    </message>
    <message>
        <source>A token named %1 exists already.</source>
        <translation>名为 %1 的令牌已存在。</translation>
    </message>
    <message>
        <source>Token %1 created. Copy it now: it cannot be shown again.</source>
        <translation>令牌 %1 已创建。请立即复制：之后将无法再次显示。</translation>
    </message>
    <message>
        <source>Revoke token</source>
        <translation>吊销令牌</translation>
    </message>
    <message>
        <source>Token %1 revoked.</source>
        <translation>令牌 %1 已吊销。</translation>
    </message>
    <message>
        <source>Revoke the token %1? Whoever uses it can no longer call the HTTP API.</source>
        <translation>要吊销令牌 %1 吗？使用该令牌的任何人都将无法再调用 HTTP 接口。</translation>
    </message>
</context>
<context>
    <name>aether::gui::TrendPanel</name>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>From – to</source>
        <translation>自定义起止时间</translation>
    </message>
    <message>
        <source>From (local time)</source>
        <translation>开始（本地时间）</translation>
    </message>
    <message>
        <source>To (local time)</source>
        <translation>结束（本地时间）</translation>
    </message>
    <message>
        <source>Show whole range</source>
        <translation>显示整个时间范围</translation>
    </message>
    <message>
        <source>Zoom with the mouse wheel or by dragging across the chart; pan with the arrow keys or the middle mouse button; Esc or a double-click shows the whole range.</source>
        <translation>用鼠标滚轮或在图表上拖选来缩放；用方向键或鼠标中键平移；按 Esc 或双击显示整个时间范围。</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>并发 429 次数</translation>
    </message>
    <message>
        <source>RPM</source>
        <translation>RPM 429 次数</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知 429 次数</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Keys with the most 429s in the range (double-click to show a key)</source>
        <translation>该时间范围内 429 最多的密钥（双击显示该密钥）</translation>
    </message>
    <message>
        <source>by the minute</source>
        <translation>按分钟</translation>
    </message>
    <message>
        <source>per 5 minutes</source>
        <translation>每 5 分钟</translation>
    </message>
    <message>
        <source>by the hour</source>
        <translation>按小时</translation>
    </message>
    <message>
        <source>by the day</source>
        <translation>按天</translation>
    </message>
    <message>
        <source>%1 – %2, %3</source>
        <translation>%1 – %2，%3</translation>
    </message>
    <message>
        <source>429s over time</source>
        <translation>429 趋势</translation>
    </message>
    <message>
        <source>429s over time: %1</source>
        <translation>429 趋势：%1</translation>
    </message>
    <message>
        <source>In %1: %2 concurrency 429s, %3 RPM 429s, %4 unknown 429s, %5 adjustments. Older than 48 hours the series is kept by the hour; times are local.</source>
        <translation>%1：并发 429 %2 次、RPM 429 %3 次、未知 429 %4 次，调整 %5 次。超过 48 小时的数据按小时保存；时间为本地时间。</translation>
    </message>
    <message>
        <source>Ran&amp;ge:</source>
        <translation>时间范围(&amp;G)：</translation>
    </message>
</context>
</TS>
