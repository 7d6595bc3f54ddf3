"""Starting and stopping: bad input stops the process at start with a message naming the file and
line or flag (DESIGN.md rule 5); a store in use is refused to a second process; a missing module
.so is refused naming the file; SIGTERM shuts down cleanly (exit 0) and a restart sees the data,
durable and --no-sync writes alike; the shipped configs/single-node.cfg starts a working node."""

import re

from pz import CONFIGS, check, eq, free_port, topologies


def _names_line(out, cfg, line):
    """File and line together on one line of output: "FILE:LINE: reason" or "FILE ... line N"."""
    return re.search(rf"{re.escape(cfg.name)}(:{line}\b|\S*[ ,]+line {line}\b)", out)


def test_bad_config_rejected(ctx):
    port = free_port()
    cases = [
        # (what, file text, line of the error, a word the message must contain)
        ("syntax error (unterminated quote)",
         f"node\n    listen = tcp://127.0.0.1:{port}\n    log_level = \"info\n", 3, None),
        ("syntax error (indentation)",
         f"node\n    listen = tcp://127.0.0.1:{port}\nmodules\n   storage\n", 4, None),
        ("unknown section",
         f"node\n    listen = tcp://127.0.0.1:{port}\n\nbogus\n    x = 1\n", 4, "bogus"),
        ("unknown node setting",
         f"# comment\nnode\n    listen = tcp://127.0.0.1:{port}\n    colour = blue\n", 4,
         "colour"),
    ]
    wrong = []  # every case is tried, and all that fail are reported together
    for i, (what, text, line, word) in enumerate(cases):
        cfg = ctx.dir / f"bad-{i}.cfg"
        cfg.write_text(text)
        n = ctx.node(f"bad-{i}", [ctx.bin, "start", f"--config={cfg}",
                                  f"--store={ctx.dir / f'store-{i}'}"])
        rc, out = n.run_to_exit()
        if rc == 0:
            wrong.append(f"{what}: `phantomzero start` exited 0")
        elif not _names_line(out, cfg, line):
            wrong.append(f"{what}: the message does not name {cfg.name} and line {line} "
                         f"together:\n{out.strip()}")
        elif word and word not in out:
            wrong.append(f"{what}: the message does not name {word!r}:\n{out.strip()}")
    check(not wrong, "\n".join(wrong))


def test_bad_config_unknown_module(ctx):
    port = free_port()
    cfg = ctx.dir / "unknown-module.cfg"
    cfg.write_text(f"node\n    listen = tcp://127.0.0.1:{port}\nmodules\n    nosuchmod\n"
                   f"        module = nosuchmod\n")
    n = ctx.node("unknown-module", [ctx.bin, "start", f"--config={cfg}",
                                    f"--store={ctx.dir / 'store'}"])
    rc, out = n.run_to_exit()
    check(rc != 0, "`phantomzero start` exited 0 with an unknown module in the config")
    check("nosuchmod" in out, f"the message names the unknown module:\n{out}")


def test_bad_flag_rejected(ctx):
    n = ctx.node("bad-flag", [ctx.bin, "start-single-node", f"--store={ctx.dir / 'store'}",
                              "--no-such-flag"])
    rc, out = n.run_to_exit()
    check(rc != 0, "start-single-node exited 0 with an unknown flag")
    check("--no-such-flag" in out, f"the message names the flag:\n{out}")
    n = ctx.node("missing-config", [ctx.bin, "start", f"--config={ctx.dir / 'nope.cfg'}"])
    rc, out = n.run_to_exit()
    check(rc != 0, "start exited 0 with a config file that does not exist")
    check("nope.cfg" in out, f"the message names the missing config file:\n{out}")


def test_missing_module_so_refused(ctx):
    empty = ctx.dir / "empty-module-dir"
    empty.mkdir()
    n = ctx.node("no-modules", [ctx.bin, "start-single-node", f"--store={ctx.dir / 'store'}",
                                f"--listen-addr=127.0.0.1:{free_port()}",
                                f"--module-dir={empty}"])
    rc, out = n.run_to_exit()
    check(rc != 0, "start-single-node exited 0 with an empty --module-dir")
    check(re.search(re.escape(str(empty)) + r"/\S+\.so", out),
          f"the message names the missing .so file in {empty}:\n{out}")


@topologies("single", "split")
def test_second_start_on_store_refused(ctx):
    c = ctx.cluster()
    c.put("k", "v")
    dup = ctx.node("second", c.storage_args(free_port()))
    rc, out = dup.run_to_exit()
    check(rc != 0, "a second process on a store in use exited 0")
    check(str(c.store) in out or re.search(r"\bstore\b", out, re.I),
          f"the refusal mentions the store:\n{out}")
    check(c.storage_node.alive(), "the first process died when a second one tried its store")
    eq(c.get("k"), b"v", "the first process still serves its data")
    c.put("k2", "v2")
    eq(c.get("k2"), b"v2", "the first process still takes writes")


@topologies("single", "split")
def test_sigterm_clean_exit_and_restart(ctx):
    c = ctx.cluster()
    for i in range(30):
        c.put(f"st/{i:03d}", f"durable-{i}")
    for i in range(30, 40):
        c.put(f"st/{i:03d}", f"nosync-{i}", sync=False)
    for name, rc in c.stop().items():
        eq(rc, 0, f"exit code of {name} on SIGTERM")
    c.start()
    rows = c.scan("st/", "st0")
    want = [(f"st/{i:03d}".encode(), f"{'durable' if i < 30 else 'nosync'}-{i}".encode())
            for i in range(40)]
    eq(rows, want, "data after a clean shutdown and restart")
    c.put("st/after", "x")
    for name, rc in c.stop().items():
        eq(rc, 0, f"exit code of {name} on the second SIGTERM")


def test_start_from_single_node_cfg(ctx):
    """The shipped configs/single-node.cfg, with the port and store overridden on the command
    line, runs a working node."""
    cfg = CONFIGS / "single-node.cfg"
    check(cfg.is_file(), f"{cfg} is missing")
    host = f"127.0.0.1:{free_port()}"
    n = ctx.node("from-config", [ctx.bin, "start", f"--config={cfg}",
                                 f"--store={ctx.dir / 'store'}",
                                 "--set", f"node/listen=tcp://{host}",
                                 f"--sql-addr=127.0.0.1:{free_port()}"], host=host)
    n.start()
    r = ctx.cli("kv", "put", "cfg/k", "v", f"--host={host}")
    eq(r.rc, 0, f"put on a node started from single-node.cfg ({r!r})")
    r = ctx.cli("kv", "get", "cfg/k", f"--host={host}")
    eq((r.rc, r.out), (0, b"v\n"), f"get on a node started from single-node.cfg ({r!r})")
    eq(n.stop(), 0, "exit code on SIGTERM")
