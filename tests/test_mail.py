"""Results by e-mail, against a real SMTP server (aiosmtpd) on 127.0.0.1 with TLS."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval.cli import main
from perfeval.config import Settings
from perfeval.mail import (
    SEND_LOG,
    CannotSend,
    MailError,
    build_outgoing,
    load_results,
    load_roster,
    parse_addresses,
    send_all,
    unmatched_roster,
    write_drafts,
)
from perfeval.outputs import RESULTS_NAME
from perfeval.pipeline import process

from .conftest import INBOX

pytest.importorskip("aiosmtpd")
trustme = pytest.importorskip("trustme")

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

# aiosmtpd counts only STARTTLS as TLS: with implicit TLS it warns that AUTH needs no TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER, PASSWORD = "evaluator", "s3cret-pass"


@pytest.fixture(scope="module")
def outdir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    process(INBOX, out, Settings(), date(2024, 3, 1))
    return out


@pytest.fixture
def fresh_outdir(outdir, tmp_path) -> Path:
    """A copy of the processed results with no send log yet."""
    import shutil

    target = tmp_path / "out"
    shutil.copytree(outdir, target)
    return target


class Recorder:
    def __init__(self, refuse: set[str] | None = None):
        self.refuse = refuse or set()
        self.drop: set[str] = set()  # hang up in the middle of these messages
        self.messages: list[tuple[list[str], bytes]] = []
        self.logins: set[tuple] = set()  # the connections that tried to log in
        self.hang_up_on_bad_login = False  # as some servers do, instead of answering 535

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop & set(envelope.rcpt_tos):
            server.transport.close()
            return "421 4.3.0 closing connection"
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    recorder = server.event_handler
    recorder.logins.add(session.peer)  # smtplib tries PLAIN, then LOGIN, on one connection
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    if not ok and recorder.hang_up_on_bad_login:
        server.transport.close()
        return AuthResult(success=False, handled=True)
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 to a bad password


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    cafile = folder / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    return cafile, server_ctx


def _start(mode: str, server_ctx, recorder: Recorder) -> Controller:
    port = _free_port()
    if mode == "starttls":
        c = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            tls_context=server_ctx,
            require_starttls=True,
            authenticator=_authenticator,
            auth_require_tls=True,
            auth_required=True,
        )
    else:
        c = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            ssl_context=server_ctx,
            authenticator=_authenticator,
            auth_require_tls=False,
            auth_required=True,
            server_hostname="localhost",
        )
    c.start()
    return c


@pytest.fixture
def server(ca):
    started = []

    def run(mode: str, refuse: set[str] | None = None) -> tuple[Recorder, dict]:
        recorder = Recorder(refuse)
        c = _start(mode, ca[1], recorder)
        started.append(c)
        smtp = {
            "host": "127.0.0.1",
            "port": c.port,
            "security": mode,
            "user": USER,
            "sender": "pingjia@example.gov.cn",
            "timeout": 10,
            "cafile": str(ca[0]),
        }
        return recorder, smtp

    yield run
    for c in started:
        c.stop()


def _received(recorder: Recorder) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in recorder.messages]


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_sends_each_department_once_over_tls(fresh_outdir, server, mode):
    recorder, smtp = server(mode)
    results = load_results(fresh_outdir)
    messages, missing = build_outgoing(fresh_outdir, results)
    assert missing == ["兰州新区科技发展局"]  # the seed names no e-mail address
    report = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert [n for n, _ in report.failed] == ["兰州新区科技发展局"], report.failed
    assert sorted(report.sent) == sorted(m.name for m in messages if m.to)
    received = _received(recorder)
    assert len(received) == 6
    msg = next(m for m in received if "文化和旅游局" in m["Subject"])
    assert msg["Subject"] == "【绩效评价结果】兰州新区文化和旅游局2023年度部门整体支出绩效评价"
    assert msg["X-Unsent"] is None
    files = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert files == {
        "兰州新区文化和旅游局_评价结果.xlsx": (fresh_outdir / "departments" / "兰州新区文化和旅游局.xlsx").read_bytes(),
        "兰州新区文化和旅游局_评价报告.docx": (fresh_outdir / "reports" / "兰州新区文化和旅游局.docx").read_bytes(),
    }
    assert "评价得分：92.8 分" in msg.get_body().get_content()
    again = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert again.sent == [] and sorted(again.skipped) == sorted(report.sent)
    assert len(recorder.messages) == 6, "never sent twice"


def test_refused_recipient_then_rerun_sends_only_the_rest(fresh_outdir, server):
    refused = "lzxq-0511@example.gov.cn"
    recorder, smtp = server("starttls", refuse={refused})
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    first = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    failed = dict(first.failed)
    assert "兰州新区卫生健康委员会" in failed and "拒绝" in failed["兰州新区卫生健康委员会"]
    assert len(first.sent) == 5, "the batch goes on after a refusal"
    recorder.refuse.clear()
    second = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert second.sent == ["兰州新区卫生健康委员会"]
    assert len(recorder.messages) == 6
    log = [json.loads(line) for line in (fresh_outdir / "mail" / SEND_LOG).read_text(encoding="utf-8").splitlines()]
    assert len(log) == 6 and len({e["key"] for e in log}) == 6
    third = send_all(fresh_outdir, messages, smtp, password=PASSWORD, resend={"兰州新区文化和旅游局"})
    assert third.sent == ["兰州新区文化和旅游局"]


def test_connection_dropped_mid_batch_the_others_go_on(fresh_outdir, server):
    recorder, smtp = server("starttls")
    recorder.drop.add("lzxq-0405@example.gov.cn")  # 农业农村局, third in the batch
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    report = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert dict(report.failed).keys() == {"兰州新区科技发展局", "兰州新区农业农村局"}
    assert len(report.sent) == 5 and len(recorder.messages) == 5


def test_untrusted_certificate_stops_the_batch(fresh_outdir, server):
    recorder, smtp = server("starttls")
    smtp = {**smtp, "cafile": None}
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    with pytest.raises(CannotSend, match="证书验证失败"):
        send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert recorder.messages == []
    assert not (fresh_outdir / "mail" / SEND_LOG).exists()


@pytest.mark.parametrize("hang_up", [False, True], ids=["535", "hang-up"])
def test_login_failure_stops_the_batch_once_and_fast(fresh_outdir, server, hang_up):
    """Before: every department was reported failed, each after its own wait; now one login, one CannotSend."""
    recorder, smtp = server("starttls")
    recorder.hang_up_on_bad_login = hang_up
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    started = time.monotonic()
    with pytest.raises(CannotSend, match="登录邮件服务器") as caught:
        send_all(fresh_outdir, messages, {**smtp, "timeout": 5}, password="wrong")
    assert time.monotonic() - started < 2
    assert len(recorder.logins) == 1 and recorder.messages == []
    assert "已停止发送" in str(caught.value)


def test_unreachable_server_stops_the_batch(fresh_outdir):
    smtp = {
        "host": "127.0.0.1",
        "port": _free_port(),
        "security": "starttls",
        "user": USER,
        "sender": "pingjia@example.gov.cn",
        "timeout": 5,
    }
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    with pytest.raises(CannotSend, match="无法连接邮件服务器"):
        send_all(fresh_outdir, messages, smtp, password=PASSWORD)


def test_cli_an_unreachable_server_is_exit_3_with_the_reason(fresh_outdir, tmp_path, monkeypatch):
    cfg = tmp_path / "smtp.toml"
    smtp = {
        "host": "127.0.0.1",
        "port": _free_port(),
        "security": "starttls",
        "user": USER,
        "sender": "pingjia@example.gov.cn",
        "timeout": 5,
    }
    cfg.write_text("[smtp]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in smtp.items()), encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_SMTP_PASSWORD", PASSWORD)
    r = CliRunner().invoke(main, ["mail", str(fresh_outdir), "--send", "--config", str(cfg), "-q"])
    assert r.exit_code == 3 and "无法连接邮件服务器" in r.output


def test_cli_lists_roster_rows_naming_no_department(fresh_outdir, tmp_path):
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "部门名称,收件人,抄送\n兰州新区科技发展局,keji@example.gov.cn,\n兰州新区财政局,cai@example.gov.cn,\n", encoding="utf-8-sig"
    )
    r = CliRunner().invoke(main, ["mail", str(fresh_outdir), "--roster", str(roster)])
    assert "不在本批结果中" in r.output and "兰州新区财政局" in r.output


def test_password_only_from_the_environment(fresh_outdir, server, monkeypatch):
    _, smtp = server("starttls")
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    monkeypatch.delenv("PERFEVAL_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailError, match="PERFEVAL_SMTP_PASSWORD"):
        send_all(fresh_outdir, messages, smtp)
    monkeypatch.setenv("PERFEVAL_SMTP_PASSWORD", PASSWORD)
    assert send_all(fresh_outdir, [m for m in messages if m.to][:1], smtp).sent


def test_cli_send_and_dry_run(fresh_outdir, server, tmp_path, monkeypatch):
    recorder, smtp = server("ssl")
    cfg = tmp_path / "smtp.toml"
    cfg.write_text("[smtp]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in smtp.items()), encoding="utf-8")
    roster = tmp_path / "名单.csv"
    roster.write_text("部门名称,收件人,抄送\n兰州新区科技发展局,keji@example.gov.cn,chuzhang@example.gov.cn\n", encoding="utf-8-sig")
    monkeypatch.setenv("PERFEVAL_SMTP_PASSWORD", PASSWORD)
    runner = CliRunner()
    dry = runner.invoke(main, ["mail", str(fresh_outdir), "--send", "--dry-run", "--roster", str(roster), "--config", str(cfg), "-q"])
    assert dry.exit_code == 0 and "将发送：兰州新区科技发展局 → keji@example.gov.cn（抄送 chuzhang@example.gov.cn）" in dry.output
    assert recorder.messages == []
    sent = runner.invoke(main, ["mail", str(fresh_outdir), "--send", "--roster", str(roster), "--config", str(cfg), "-q"])
    assert sent.exit_code == 0, sent.output
    assert len(recorder.messages) == 7
    seed_rcpts = next(r for r, raw in recorder.messages if b"keji@example.gov.cn" in raw)
    assert seed_rcpts == ["keji@example.gov.cn", "chuzhang@example.gov.cn"]
    rerun = runner.invoke(main, ["mail", str(fresh_outdir), "--send", "--roster", str(roster), "--config", str(cfg), "-q"])
    assert rerun.exit_code == 0 and "跳过 7 封" in rerun.output and len(recorder.messages) == 7


def test_drafts_parse_back(fresh_outdir):
    messages, missing = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    paths = write_drafts(fresh_outdir, messages, "pingjia@example.gov.cn")
    assert len(paths) == 7
    for path in paths:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert msg["X-Unsent"] == "1"
        assert msg["Subject"].startswith("【绩效评价结果】")
        names = [p.get_filename() for p in msg.iter_attachments()]
        assert len(names) == 2 and all(n.startswith(path.stem) for n in names)
        raw = path.read_bytes()
        assert b"filename*=utf-8''" in raw and b'name="=?utf-8?b?' in raw
    result = CliRunner().invoke(main, ["mail", str(fresh_outdir)])
    assert result.exit_code == 0 and "没有收件人地址" in result.output and "兰州新区科技发展局" in result.output


def test_mail_usage_errors(tmp_path, fresh_outdir):
    r = CliRunner().invoke(main, ["mail", str(tmp_path)])
    assert r.exit_code == 2 and "请先运行 perfeval process" in r.output
    r = CliRunner().invoke(main, ["mail", str(fresh_outdir), "--send"])
    assert r.exit_code == 2 and "[smtp]" in r.output


def test_missing_attachment_fails_only_that_department(fresh_outdir, server):
    """Before: a deleted report was a FileNotFoundError traceback for drafts, and “无法连接邮件服务器” for --send."""
    gone = fresh_outdir / "reports" / "兰州新区农业农村局.docx"
    gone.unlink()
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    paths = write_drafts(fresh_outdir, messages, "pingjia@example.gov.cn")
    assert len(paths) == 6 and paths == sorted(paths)
    assert not (fresh_outdir / "mail" / "兰州新区农业农村局.eml").exists()
    assert [(m.name, m.problem) for m in messages if m.problem] == [
        ("兰州新区农业农村局", f"附件文件不存在：{gone}（请重新运行 perfeval process 生成）")
    ]
    recorder, smtp = server("starttls")
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    dry = send_all(fresh_outdir, messages, smtp, password=PASSWORD, dry_run=True)
    report = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert dry.failed == report.failed and sorted(m.name for m in dry.planned) == sorted(report.sent)
    assert str(gone) in dict(report.failed)["兰州新区农业农村局"]
    assert len(report.sent) == 5 and len(recorder.messages) == 5


def test_addresses_are_parsed_with_their_display_names():
    assert parse_addresses('张三 <a@x.cn>, "Li, Si" <li@x.cn>; wang@x.cn') == [("张三", "a@x.cn"), ("Li, Si", "li@x.cn"), ("", "wang@x.cn")]
    assert parse_addresses("a@x.cn；b@x.cn，c@x.cn、d@x.cn e@x.cn\tf@x.cn") == [("", f"{c}@x.cn") for c in "abcdef"]
    assert parse_addresses(" ") == []
    for bad, reason in [
        ("a@x.cn\nBcc: evil@y.cn", "换行"),
        ("a@x.cn\r", "换行"),
        ("无", "“无”不是有效的邮箱地址"),
        ("张三 a@x.cn", "“张三”"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_addresses(bad)


def test_roster_keeps_every_recipient_and_display_name(fresh_outdir, server, tmp_path):
    """Before: “张三 <a@x.cn>” was split at spaces and dropped; of “"Li, Si" <li@x.cn>; wang@x.cn” only wang was kept."""
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "部门名称,收件人,抄送\n"
        '兰州新区科技发展局,张三 <zhangsan@example.gov.cn>,"""Li, Si"" <lisi@example.gov.cn>; wang@example.gov.cn"\n'
        "兰州新区财政局,caizheng@example.gov.cn,\n",
        encoding="utf-8-sig",
    )
    results = load_results(fresh_outdir)
    roster_map = load_roster(roster)
    assert unmatched_roster(roster_map, results) == ["第 3 行 兰州新区财政局"]
    messages, missing = build_outgoing(fresh_outdir, results, roster_map)
    assert missing == []
    recorder, smtp = server("starttls")
    report = send_all(fresh_outdir, [m for m in messages if m.name == "兰州新区科技发展局"], smtp, password=PASSWORD)
    assert report.sent == ["兰州新区科技发展局"]
    [(rcpts, raw)] = recorder.messages
    assert rcpts == ["zhangsan@example.gov.cn", "lisi@example.gov.cn", "wang@example.gov.cn"]
    assert b"To: =?utf-8?b?" in raw, "a non-ASCII display name is an RFC 2047 encoded word"
    [msg] = _received(recorder)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [("张三", "zhangsan@example.gov.cn")]
    assert [(a.display_name, a.addr_spec) for a in msg["Cc"].addresses] == [("Li, Si", "lisi@example.gov.cn"), ("", "wang@example.gov.cn")]


def test_header_breaking_address_is_refused_and_nothing_sent(fresh_outdir, server, tmp_path):
    """Before: the line break split the cell into two addresses, and evil@example.net got the results."""
    path = fresh_outdir / RESULTS_NAME
    results = json.loads(path.read_text(encoding="utf-8"))
    housing = next(d for d in results["departments"] if d["name"] == "兰州新区住房和城乡建设局")
    housing["email"] = "lzxq-0620@example.gov.cn\nBcc: evil@example.net"
    path.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "部门名称,收件人,抄送\n"
        '兰州新区文化和旅游局,"lzxq-0302@example.gov.cn\r\nBcc: evil@example.net",\n'
        "兰州新区农业农村局,lzxq-0405@example.gov.cn,不是地址\n",
        encoding="utf-8-sig",
    )
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir), load_roster(roster))
    recorder, smtp = server("starttls")
    report = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    failed = dict(report.failed)
    assert failed["兰州新区文化和旅游局"].startswith("名单第 2 行“收件人”含换行或其他控制字符，已拒绝")
    assert failed["兰州新区住房和城乡建设局"].startswith("工作簿“电子邮箱”含换行或其他控制字符，已拒绝")
    assert failed["兰州新区农业农村局"] == "名单第 3 行“抄送”“不是地址”不是有效的邮箱地址（应为 名字@域名）"
    everyone = {a for rcpts, _ in recorder.messages for a in rcpts}
    assert everyone.isdisjoint({"evil@example.net", "lzxq-0302@example.gov.cn", "lzxq-0405@example.gov.cn", "lzxq-0620@example.gov.cn"})
    assert len(report.sent) == 3
    assert len(write_drafts(fresh_outdir, messages, None)) == 4  # the three, and 科技发展局 (no address yet)
    for sender in ("pingjia@example.gov.cn\r\nBcc: evil@example.net", "pingjia@example.gov.cn\nBcc: evil@example.net"):
        with pytest.raises(MailError, match="换行"):
            send_all(fresh_outdir, messages, {**smtp, "sender": sender}, password=PASSWORD)
        with pytest.raises(MailError, match="换行"):
            write_drafts(fresh_outdir, messages, sender)


def test_each_send_is_dated_now_with_a_fresh_message_id(fresh_outdir, server):
    """Before: Date was the run date at 09:00 and the Message-ID was the same on every (re)send."""
    recorder, smtp = server("starttls")
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    culture = [m for m in messages if m.name == "兰州新区文化和旅游局"]
    before = datetime.now(UTC) - timedelta(seconds=2)  # Date has whole seconds
    assert send_all(fresh_outdir, culture, smtp, password=PASSWORD).sent
    assert send_all(fresh_outdir, culture, smtp, password=PASSWORD, resend={"兰州新区文化和旅游局"}).sent
    [draft] = write_drafts(fresh_outdir, culture, "评价办 <pingjia@example.gov.cn>")
    after = datetime.now(UTC) + timedelta(seconds=2)
    first, second = _received(recorder)
    written = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert len({first["Message-ID"], second["Message-ID"], written["Message-ID"]}) == 3
    assert all(before <= m["Date"].datetime <= after for m in (first, second, written))
    assert first["Message-ID"].endswith("@example.gov.cn>")
    assert written["From"].addresses[0].display_name == "评价办"
    log = [json.loads(line) for line in (fresh_outdir / "mail" / SEND_LOG).read_text(encoding="utf-8").splitlines()]
    assert [e["message_id"] for e in log] == [first["Message-ID"], second["Message-ID"]]


def test_dry_run_and_send_agree_on_two_files_of_one_department(fresh_outdir, server):
    """Before: --dry-run planned both files; --send sent the first and skipped the second as already sent."""
    path = fresh_outdir / RESULTS_NAME
    results = json.loads(path.read_text(encoding="utf-8"))
    culture = next(d for d in results["departments"] if d["name"] == "兰州新区文化和旅游局")
    results["departments"].append({**culture, "file": "08_兰州新区文化和旅游局（修改）.xlsx"})
    path.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    messages, _ = build_outgoing(fresh_outdir, load_results(fresh_outdir))
    recorder, smtp = server("starttls")
    dry = send_all(fresh_outdir, messages, smtp, password=PASSWORD, dry_run=True)
    report = send_all(fresh_outdir, messages, smtp, password=PASSWORD)
    assert dry.failed == report.failed and sorted(m.name for m in dry.planned) == sorted(report.sent)
    reasons = [r for n, r in report.failed if n == "兰州新区文化和旅游局"]
    assert len(reasons) == 2
    assert all("2 个文件（02_兰州新区文化和旅游局.xlsx、08_兰州新区文化和旅游局（修改）.xlsx）" in r for r in reasons)
    assert all("lzxq-0302@example.gov.cn" not in rcpts for rcpts, _ in recorder.messages)


def test_the_mail_says_the_earlier_year_and_what_was_pointed_out_before():
    from perfeval.mail import _body

    dep = {
        "name": "甲局",
        "year": 2023,
        "status": "可受理",
        "total_score": 92.5,
        "grade": "优",
        "arrival_rate": 1.0,
        "execution_rate": 0.98,
        "errors": 0,
        "warnings": 2,
        "previous": {"year": 2022, "total_score": 90.0, "execution_rate": 0.8821},
        "findings": [
            {"severity": "警告", "code": "W04", "sheet": "指标评分", "cell": "G9", "message": "有扣分但未填写扣分原因", "previously": 2022},
            {
                "severity": "警告",
                "code": "W04",
                "sheet": "指标评分",
                "cell": "G10",
                "message": "有扣分但未填写扣分原因",
                "previously": None,
            },
        ],
    }
    body = _body(dep)
    assert "  2022年度：评价得分 90 分，预算执行率 88.21%" in body
    assert "指标评分!G9：有扣分但未填写扣分原因（2022年已指出）" in body
    assert "指标评分!G10：有扣分但未填写扣分原因\n" in body
    assert "年度：评价得分" not in _body({**dep, "previous": None})
