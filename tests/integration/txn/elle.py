"""A history checker for the list-append workload, after Kingsbury and Alvaro's Elle: it finds the
dependency cycles and read anomalies that make a history not serializable.

Written by hand in the project so that the transactions issue has a checker it can read, run on
Debian's python3 without the JVM, and test (test_txn_checker.py feeds it hand-built histories
with each anomaly, and clean ones).

Input: a history, a list of operations (dicts) as listappend.py records them:
  {"index", "process", "type": "invoke" | "ok" | "fail" | "info", "value": [mop, ...]}
where a micro-operation is ["append", key, element] or ["r", key, list-or-None]. An invoke is
followed by one completion of the same process: ok (committed; its reads are filled in), fail
(certainly did not commit) or info (outcome unknown). Every appended element is unique.

How it checks:
 1. Reads, one by one (ok transactions only):
      duplicate-elements  a list holds an element twice;
      garbage             a list holds an element nobody appended;
      internal            a read after the transaction's own appends to the key does not end
                          with them (or shows them out of place);
      G1a                 a list holds an element appended by a failed transaction;
      G1b                 the last element another transaction appended that a read sees is not
                          that transaction's final append to the key (an intermediate version).
 2. Version order per key: lists only grow, so every read of a key must be a prefix of the
    longest one, which is the key's version order (incompatible-order otherwise; such a key adds
    no edges).
 3. The dependency graph over committed transactions (ok ones, and info ones whose appends
    were seen): ww from the writer of each element to the writer of the next; wr from the
    writer of the last element of a read (its own appends stripped) to the reader; rw from a
    reader to the writer of the element that follows what it read (unless that is the writer
    it read from: a read of an intermediate version is G1b, and reported as that alone).
 4. Cycles: Tarjan's strongly connected components; in each non-trivial one the first cycle
    found by this order names it: only ww edges -> G0; ww and wr -> G1c; exactly one rw edge
    (found as an rw edge a->b with a path back from b to a over ww/wr) -> G-single; otherwise
    G2 (two or more rw edges). One cycle is reported per component, with its edges.

With model="strict-serializable" the graph also gets real-time edges (rt: T1 completed before
T2 was invoked), and a component whose cycles all need one is reported as the same type with
"-realtime" (a stale read is G-single-realtime). Not checked: unobserved appends.
"""

import collections

ALL_TYPES = ("G0", "G1a", "G1b", "G1c", "G-single", "G2", "incompatible-order",
             "duplicate-elements", "garbage", "internal")
REALTIME_TYPES = ("G0-realtime", "G1c-realtime", "G-single-realtime", "G2-realtime")
PROHIBITED = {"strict-serializable": ALL_TYPES + REALTIME_TYPES,
              "serializable": ALL_TYPES,
              "read-committed": ("G0", "G1a", "G1b", "G1c", "incompatible-order",
                                 "duplicate-elements", "garbage", "internal")}
EXAMPLES_KEPT = 5  # anomalies described per type; the rest are counted
RW_TRIES_MAX = 500  # rw edges tried per component when looking for a G-single cycle


class Txn:
    __slots__ = ("id", "process", "type", "ops", "invoked", "index")

    def __init__(self, tid, process, type_, ops, invoked, index):
        self.id, self.process, self.type, self.ops = tid, process, type_, ops
        self.invoked, self.index = invoked, index  # positions in the history; index: completion

    def __repr__(self):
        return f"T{self.id}"


class HistoryError(ValueError):
    """The history itself is malformed (a harness bug, not a database anomaly)."""


def transactions(history):
    """Pairs each invoke with its completion; an invoke never completed counts as info."""
    pending, out = {}, []
    for pos, op in enumerate(history):
        p, t = op["process"], op["type"]
        if t == "invoke":
            if p in pending:
                raise HistoryError(f"process {p} invoked twice without completing")
            pending[p] = (pos, op)
            continue
        if p not in pending:
            raise HistoryError(f"process {p} completed at {pos} without an invoke")
        at, inv = pending.pop(p)
        ops = op["value"] if t == "ok" else inv["value"]
        out.append(Txn(len(out), p, t, [tuple(m) for m in ops], at, pos))
    for p, (at, inv) in pending.items():
        out.append(Txn(len(out), p, "info", [tuple(m) for m in inv["value"]], at, None))
    return out


class Result:
    def __init__(self, model):
        self.model = model
        self.anomalies = collections.defaultdict(list)
        self.counts = collections.Counter()
        self.stats = {}

    def add(self, kind, text):
        self.counts[kind] += 1
        if len(self.anomalies[kind]) < EXAMPLES_KEPT:
            self.anomalies[kind].append(text)

    def found(self):
        """The anomaly types found that the model prohibits."""
        return sorted(k for k in self.counts if k in PROHIBITED[self.model])

    @property
    def valid(self):
        return not self.found()

    def describe(self):
        s = self.stats
        lines = [f"elle ({self.model}): {'valid' if self.valid else 'INVALID'}; "
                 f"{s.get('ok', 0)} ok, {s.get('fail', 0)} fail, {s.get('info', 0)} info "
                 f"transactions, {s.get('reads', 0)} reads, {s.get('keys', 0)} keys, "
                 f"{s.get('edges', 0)} edges"]
        for kind in sorted(self.counts):
            lines.append(f"  {kind}: {self.counts[kind]}")
            lines += [f"    {t}" for t in self.anomalies[kind]]
        return "\n".join(lines)


def check(history, model="serializable"):
    txns = transactions(history)
    res = Result(model)
    res.stats = dict(collections.Counter(t.type for t in txns))
    writer, appends = _writers(txns)
    reads = _reads(txns, writer, appends, res)
    orders = _version_orders(reads, res)
    graph = _graph(txns, writer, reads, orders, res)
    if model == "strict-serializable":
        _realtime(txns, graph)
    res.stats.update(reads=len(reads), keys=len(orders),
                     edges=sum(len(v) for v in graph.values()))
    _cycles(graph, res)
    return res


def _writers(txns):
    writer, appends = {}, collections.defaultdict(list)
    for t in txns:
        for f, k, v in t.ops:
            if f == "append":
                if (k, v) in writer:
                    raise HistoryError(f"element {v} appended to key {k} twice")
                writer[(k, v)] = t
                appends[(t.id, k)].append(v)
    return writer, appends


def _reads(txns, writer, appends, res):
    """[(txn, key, full list, external part)] of ok transactions; the per-read anomalies."""
    out = []
    for t in txns:
        if t.type != "ok":
            continue
        own = collections.defaultdict(list)
        for f, k, v in t.ops:
            if f == "append":
                own[k].append(v)
                continue
            if v is None:
                continue
            v = list(v)
            if len(set(v)) != len(v):
                res.add("duplicate-elements", f"{t} read key {k} = {v}")
            n = len(own[k])
            ext = v[:-n] if n else v
            if n and (v[-n:] != own[k] or set(ext) & set(own[k])):
                res.add("internal", f"{t} read key {k} = {v} after appending {own[k]}")
                continue
            _read_sources(t, k, ext, writer, appends, res)
            out.append((t, k, v, ext))
    return out


def _read_sources(t, k, ext, writer, appends, res):
    for e in ext:
        w = writer.get((k, e))
        if w is None:
            res.add("garbage", f"{t} read key {k}: element {e} was never appended")
        elif w.type == "fail":
            res.add("G1a", f"{t} read key {k} = {ext}: {e} was appended by failed {w}")
    w = writer.get((k, ext[-1])) if ext else None
    if w is not None and w is not t and appends[(w.id, k)][-1] != ext[-1]:
        res.add("G1b", f"{t} read key {k} = {ext}: {ext[-1]} is an intermediate append of {w} "
                       f"(its last was {appends[(w.id, k)][-1]})")


def _version_orders(reads, res):
    longest = {}
    for _, k, v, _ in reads:
        if k not in longest or len(v) > len(longest[k]):
            longest[k] = v
    bad = set()
    for t, k, v, _ in reads:
        if longest[k][: len(v)] != v:
            bad.add(k)
            res.add("incompatible-order", f"key {k}: {t} read {v}, another read {longest[k]}")
    return {k: v for k, v in longest.items() if k not in bad}


def _graph(txns, writer, reads, orders, res):
    seen = {writer[(k, e)] for k, vo in orders.items() for e in vo if (k, e) in writer}
    live = {t for t in txns if t.type == "ok" or (t.type == "info" and t in seen)}
    graph = collections.defaultdict(dict)

    def edge(a, b, kind, k):
        if a is not b and a in live and b in live:
            graph[a].setdefault(b, set()).add((kind, k))

    for k, vo in orders.items():
        ws = [writer.get((k, e)) for e in vo]
        for a, b in zip(ws, ws[1:]):
            edge(a, b, "ww", k)
    for t, k, _, ext in reads:
        if k not in orders:
            continue
        last = writer.get((k, ext[-1])) if ext else None
        if last is not None:
            edge(last, t, "wr", k)
        vo = orders[k]
        nxt = writer.get((k, vo[len(ext)])) if len(ext) < len(vo) else None
        if nxt is not None and nxt is not last:  # else an intermediate read: G1b, not rw
            edge(t, nxt, "rw", k)
    return graph


def _sccs(nodes, succ):
    """Tarjan's algorithm, iterative; the components with more than one node."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = n
        n += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n
                    n += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(succ(w))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w is v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def _path(graph, src, dst, inside, kinds):
    """Shortest path src -> dst over edges of `kinds` within `inside`: [(a, label, b), ...]."""
    prev, frontier = {src: None}, collections.deque([src])
    while frontier:
        a = frontier.popleft()
        for b, labels in graph.get(a, {}).items():
            use = sorted(lb for lb in labels if lb[0] in kinds)
            if b not in inside or not use or (b in prev and b != dst):
                continue
            if b == dst:
                steps = [(a, use[0], b)]
                while prev[a] is not None:
                    steps.append(prev[a])
                    a = prev[a][0]
                return steps[::-1]
            prev[b] = (a, use[0], b)
            frontier.append(b)
    return None


def _cycle_in(graph, comp, kinds):
    inside = set(comp)

    def succ(v):
        return [b for b, lbs in graph.get(v, {}).items()
                if b in inside and any(lb[0] in kinds for lb in lbs)]

    sub = _sccs(comp, succ)
    if not sub:
        return None
    return _path(graph, sub[0][0], sub[0][0], set(sub[0]), kinds)


def _text(cycle):
    return " ".join(f"{a} -{kind}({k})->" for a, (kind, k), _ in cycle) + f" {cycle[0][0]}"


def _realtime(txns, graph):
    """rt edges: T1 -> T2 when T1 completed (ok) before T2 was invoked, as a transitive
    reduction: each transaction, when it completes, takes the edges from the frontier it saw at
    its invoke and replaces those transactions in the frontier (anything invoked later follows
    them through it)."""
    live = set(graph) | {b for v in graph.values() for b in v}
    events = sorted([(t.invoked, 1, t) for t in live]
                    + [(t.index, 0, t) for t in live if t.type == "ok"], key=lambda e: e[:2])
    frontier, preds = set(), {}
    for _, is_invoke, t in events:
        if is_invoke:
            preds[t] = list(frontier)
            continue
        for p in preds.get(t, ()):
            graph[p].setdefault(t, set()).add(("rt", "-"))
        frontier.difference_update(preds.get(t, ()))
        frontier.add(t)


def _cycles(graph, res):
    nodes = sorted(set(graph) | {b for v in graph.values() for b in v}, key=lambda t: t.id)
    for comp in _sccs(nodes, lambda v: sorted(graph.get(v, {}), key=lambda t: t.id)):
        res.add(*(_classify(graph, comp, set(), "") or _classify(graph, comp, {"rt"}, "-realtime")))


def _classify(graph, comp, extra, suffix):
    """The first cycle in this order: ww; ww+wr; one rw with ww/wr; any with rw — each also
    over `extra` edge kinds. None when the component has no cycle over those kinds."""
    for kind, kinds in (("G0", {"ww"}), ("G1c", {"ww", "wr"})):
        cyc = _cycle_in(graph, comp, kinds | extra)
        if cyc:
            return kind + suffix, _text(cyc)
    inside = set(comp)
    rws = [(a, b, lb) for a in comp for b, lbs in graph.get(a, {}).items()
           for lb in sorted(lbs) if b in inside and lb[0] == "rw"][:RW_TRIES_MAX]
    for kind, kinds in (("G-single", {"ww", "wr"}), ("G2", {"ww", "wr", "rw"})):
        for a, b, lb in rws:
            back = _path(graph, b, a, inside, kinds | extra)
            if back:
                return kind + suffix, _text([(a, lb, b)] + back)
    return None
