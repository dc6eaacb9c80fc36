"""Results to each department by e-mail: drafts by default, SMTP only when asked, never twice.

Messages are built with the compat32 MIME classes so that each attachment carries both
names mail clients look for: an RFC 2231 `filename*` (Thunderbird, Apple Mail, Gmail) and an
RFC 2047 encoded-word `name` (Outlook, QQ Mail).

A department that cannot be mailed (a bad address, a missing attachment, two files for one
department) fails alone, with its reason; a server that cannot be reached or refuses the login
stops the batch (CannotSend). Drafts, --dry-run and --send all build the same message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import smtplib
import socket
import ssl
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic
from .names import unique_stems
from .outputs import DEPARTMENT_OUTPUTS, RESULTS_NAME
from .values import EMAIL

MAIL_DIR = "mail"
SEND_LOG = "sent-log.jsonl"
PASSWORD_ENV = "PERFEVAL_SMTP_PASSWORD"
MIME_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


class MailError(Exception):
    """Mail cannot run at all (no results, bad settings, no password): message in Chinese."""


class CannotSend(MailError):
    """The batch stops part-way: the server cannot be reached or refuses the login, or the send
    log cannot be written. What was sent before is in the send log: a rerun does not repeat it."""


class Undeliverable(Exception):
    """One department's message cannot be made (a bad address, a missing attachment): the reason, in Chinese."""


# A header ends at a line break: CR, LF or another control character in an address is refused
# (tabs are only spaces). Otherwise "a@x.cn\nBcc: evil@y.cn" would add a recipient.
_HEADER_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
# one address each, between , ; ， ； 、 that are not inside "…" or <…>
_ADDRESS_PIECE = re.compile(r'(?:"(?:[^"\\]|\\.)*"|<[^>]*>|[^,;，；、])+')


def parse_addresses(text: str) -> list[tuple[str, str]]:
    """(display name, address) of each address in a cell: `张三 <a@x.cn>; "Li, Si" <li@x.cn>, wang@x.cn`.

    Bare addresses may also be separated by spaces. Raises ValueError, with the reason in Chinese,
    for a line break or other control character, or for a piece that is not local@domain."""
    if _HEADER_BREAKING.search(text):
        raise ValueError(f"含换行或其他控制字符，已拒绝（以免被加入其他收件人或邮件头）：{text!r}")
    pairs = []
    for piece in _ADDRESS_PIECE.findall(text):
        words = [piece.strip()] if set('<"(') & set(piece) else piece.split()
        for word in words:
            found = getaddresses([word])
            if len(found) != 1 or not EMAIL.match(found[0][1]):
                raise ValueError(f"“{word}”不是有效的邮箱地址（应为 名字@域名）")
            pairs.append(found[0])
    return pairs


def _addresses(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_addresses(text)
    except ValueError as exc:
        raise Undeliverable(f"{where}{exc}") from None


def _sender(text: Any) -> tuple[str, str]:
    try:
        pairs = parse_addresses(str(text))
    except ValueError as exc:
        raise MailError(f"[smtp] sender {exc}") from None
    if len(pairs) != 1:
        raise MailError("[smtp] 需要有效的发件人地址 sender（一个地址）")
    return pairs[0]


@dataclass
class Outgoing:
    key: str  # identifies the department across runs: 部门编码, else 部门名称, with the year
    name: str
    stem: str
    to: list[str]  # addresses only; display names are in `names`
    cc: list[str]
    subject: str
    body: str
    attachments: list[tuple[str, Path]]
    names: dict[str, str] = field(default_factory=dict)  # address → display name
    problem: str = ""  # why this department gets no message (bad address, two files): in Chinese

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys(self.to + self.cc))

    def build(self, sender: tuple[str, str] | None, draft: bool) -> MIMEMultipart:
        """The message, dated and identified now (a resend is a new message to the server).

        Raises Undeliverable when the department has a problem or an attachment cannot be read."""
        if self.problem:
            raise Undeliverable(self.problem)
        files = []
        for filename, path in self.attachments:
            try:
                files.append((filename, path, path.read_bytes()))
            except FileNotFoundError:
                raise Undeliverable(f"附件文件不存在：{path}（请重新运行 perfeval process 生成）") from None
            except OSError as exc:
                raise Undeliverable(f"无法读取附件 {path}：{exc.strerror or exc}") from None
        msg = MIMEMultipart()
        msg["Subject"] = Header(self.subject, "utf-8")  # type: ignore[assignment]  # email takes a Header; the stubs say str
        if sender:
            msg["From"] = formataddr(sender)
        if self.to:
            msg["To"] = ", ".join(formataddr((self.names.get(a, ""), a)) for a in self.to)
        if self.cc:
            msg["Cc"] = ", ".join(formataddr((self.names.get(a, ""), a)) for a in self.cc)
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid("perfeval", domain=sender[1].rpartition("@")[2] if sender else "perfeval.local")
        if draft:
            msg["X-Unsent"] = "1"  # Outlook opens the .eml as a draft, ready to send
        msg.attach(MIMEText(self.body, "plain", "utf-8"))
        for filename, path, data in files:
            maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
            part = MIMEBase(maintype, subtype)
            part.set_payload(data)
            encoders.encode_base64(part)
            part.set_param("name", Header(filename, "utf-8", maxlinelen=998).encode())
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
            msg.attach(part)
        return msg


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in the send log
    failed: list[tuple[str, str]] = field(default_factory=list)
    planned: list[Outgoing] = field(default_factory=list)  # --dry-run


def load_results(outdir: Path) -> dict[str, Any]:
    path = outdir / RESULTS_NAME
    if not path.exists():
        raise MailError(f"{outdir} 中没有 {RESULTS_NAME}，请先运行 perfeval process")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MailError(f"无法读取 {path}：{exc}") from None


@dataclass(frozen=True)
class RosterEntry:
    row: int  # 1-based, as the spreadsheet shows it
    label: str  # the 部门名称 (else 部门编码) the row names
    to: str  # the cells as written: parsed per department, so that a bad address fails only that one
    cc: str


def load_roster(path: Path) -> dict[str, RosterEntry]:
    """The rows of an .xlsx or .csv roster by "code:<部门编码>" and by "name:<部门名称>"."""
    rows: list[list[Any]]
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))  # a cell's line breaks stay in it, to be refused
    else:
        import python_calamine as pc

        try:
            wb = pc.CalamineWorkbook.from_path(str(path))
            rows = wb.get_sheet_by_index(0).to_python()
        except Exception as exc:  # noqa: BLE001
            raise MailError(f"无法读取名单 {path}：{exc}") from None
    from .values import clean_text, normalize_label

    header_at = next((i for i, r in enumerate(rows[:20]) if "收件人" in [normalize_label(c) for c in r]), None)
    if header_at is None:
        raise MailError(f"名单 {path} 中找不到“收件人”列（需要：部门名称或部门编码、收件人、抄送）")
    header = [normalize_label(c) for c in rows[header_at]]
    col: dict[str, int] = {label: header.index(label) for label in ("部门名称", "部门编码", "收件人", "抄送") if label in header}
    if "部门名称" not in col and "部门编码" not in col:
        raise MailError(f"名单 {path} 需要“部门名称”或“部门编码”列")
    roster: dict[str, RosterEntry] = {}
    for number, r in enumerate(rows[header_at + 1 :], start=header_at + 2):

        def get(label: str, r: list[Any] = r) -> str:
            i = col.get(label)
            return clean_text(r[i]) if i is not None and i < len(r) else ""

        entry = RosterEntry(number, get("部门名称") or get("部门编码"), get("收件人"), get("抄送"))
        for label, prefix in (("部门编码", "code:"), ("部门名称", "name:")):
            if get(label):
                roster[prefix + normalize_label(get(label))] = entry
    return roster


def _roster_entry(dep: dict[str, Any], roster: dict[str, RosterEntry] | None) -> RosterEntry | None:
    from .values import normalize_label

    for probe in (f"code:{normalize_label(dep.get('code') or '')}", f"name:{normalize_label(dep['name'])}"):
        if roster and probe in roster and probe not in ("code:", "name:"):
            return roster[probe]
    return None


def unmatched_roster(roster: dict[str, RosterEntry], results: dict[str, Any]) -> list[str]:
    """The roster rows that name no department of the results (a typo, or a department that did
    not submit), as "第 N 行 <部门>", in the roster's order."""
    used = {_roster_entry(dep, roster) for dep in results.get("departments", [])}
    entries = sorted(set(roster.values()) - used, key=lambda e: e.row)
    return [f"第 {e.row} 行 {e.label}" for e in entries]


def _key(dep: dict[str, Any]) -> str:
    ident = f"code:{dep['code']}" if dep.get("code") else f"name:{dep['name']}"
    return f"{ident}|{dep.get('year') or ''}"


def _body(dep: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x * 100:.2f}%"

    year = f"{dep['year']}年度" if dep.get("year") else ""
    lines = [f"{dep.get('contact') or dep['name']}：", "", f"您好！{dep['name']}{year}部门整体支出绩效评价结果如下："]
    status, reason = dep.get("status"), dep.get("status_reason")
    if status:
        lines.append(f"  评价状态：{status}" + (f"（{reason}）" if reason else ""))
    if dep.get("readable", True):
        score = dep.get("total_score")
        provisional = "（暂定）" if status == "待补正" and score is not None else ""
        lines += [
            f"  评价得分：{'—' if score is None else f'{score:g} 分'}{provisional}",
            f"  评价等级：{dep.get('grade') or '—'}{provisional if dep.get('grade') else ''}",
            f"  资金到位率：{pct(dep.get('arrival_rate'))}；预算执行率：{pct(dep.get('execution_rate'))}",
        ]
        before = dep.get("previous")
        if isinstance(before, dict) and before.get("year"):  # 比较法: the results history held an earlier year
            then = before.get("total_score")
            lines.append(
                f"  {before['year']}年度：评价得分 {'—' if then is None else f'{then:g} 分'}，预算执行率 {pct(before.get('execution_rate'))}"
            )
    else:
        lines.append(f"  提交的文件无法读取：{dep.get('read_error')}")
    to_fix = [f for f in dep.get("findings", []) if f["severity"] in ("错误", "警告")]
    infos = len(dep.get("findings", [])) - len(to_fix)
    lines.append("")
    if to_fix:
        lines.append(f"审核发现需要修改或说明的问题 {len(to_fix)} 条（错误 {dep.get('errors', 0)} 条，警告 {dep.get('warnings', 0)} 条）：")
        for i, f in enumerate(to_fix, start=1):
            where = f"{f['sheet']}!{f['cell']}" if f.get("cell") else (f.get("sheet") or "文件")
            told = f"（{f['previously']}年已指出）" if isinstance(f.get("previously"), int) else ""
            lines.append(f"  {i}. 【{f['severity']} {f['code']}】{where}：{f['message']}{told}")
        lines.append("“错误”请改正后重新提交工作簿；“警告”请核实，必要时在工作簿中说明。")
    else:
        lines.append("审核未发现需要修改的问题。")
    if infos:
        lines.append(f"另有 {infos} 条提示，详见附件“需要修改的问题”工作表。")
    lines += ["", "附件：评价结果工作簿（含需要修改的问题清单）及评价报告（Word）。", "本邮件由 perfeval 生成，如有疑问请回复。"]
    return "\n".join(lines) + "\n"


def build_outgoing(outdir: Path, results: dict[str, Any], roster: dict | None = None) -> tuple[list[Outgoing], list[str]]:
    """One message per department, and the departments that have no address.

    A department whose addresses are not all valid, or that has several files in the results
    (they would share one entry of the send log), gets a `problem` instead of recipients."""
    deps = results.get("departments", [])
    stems = unique_stems([d["name"] for d in deps])
    files: dict[str, list[str]] = defaultdict(list)
    for dep in deps:
        files[_key(dep)].append(dep.get("file") or dep["name"])
    messages, missing = [], []
    for dep, stem in zip(deps, stems, strict=True):
        entry = _roster_entry(dep, roster)
        problem, names = "", {}
        try:
            if entry:
                to, cc = _addresses(entry.to, f"名单第 {entry.row} 行“收件人”"), _addresses(entry.cc, f"名单第 {entry.row} 行“抄送”")
            else:
                to, cc = _addresses(dep.get("email") or "", "工作簿“电子邮箱”"), []
            names = {a: n for n, a in to + cc if n}
        except Undeliverable as exc:
            to, cc, problem = [], [], str(exc)
        same = files[_key(dep)]
        if len(same) > 1:
            problem = (
                f"本批结果中该部门有 {len(same)} 个文件（{'、'.join(same)}），无法确定发送哪一份；请只保留一份后重新运行 perfeval process"
            )
        if not to and not problem:
            missing.append(dep["name"])
        year = f"{dep['year']}" if dep.get("year") else ""
        attachments = []
        for output in DEPARTMENT_OUTPUTS:
            rel = dep.get("outputs", {}).get(output.kind)
            if rel:
                path = outdir / rel
                attachments.append((f"{stem}_{output.attachment}{path.suffix}", path))
        messages.append(
            Outgoing(
                key=_key(dep),
                name=dep["name"],
                stem=stem,
                to=[a for _, a in to],
                cc=[a for _, a in cc],
                subject=f"【绩效评价结果】{dep['name']}{year}年度部门整体支出绩效评价",
                body=_body(dep),
                attachments=attachments,
                names=names,
                problem=problem,
            )
        )
    return messages, missing


def write_drafts(outdir: Path, messages: list[Outgoing], sender: str | None) -> list[Path]:
    """OUTDIR/mail/<部门>.eml for each department that can be mailed, sorted by name.

    A department that cannot (see Outgoing.problem, set here too when an attachment is missing)
    gets no draft, and an old draft of it is removed: it would carry old results."""
    from_ = _sender(sender) if sender else None
    written = []
    for m in messages:
        target = outdir / MAIL_DIR / f"{m.stem}.eml"
        try:
            data = m.build(from_, draft=True).as_bytes()
        except Undeliverable as exc:
            m.problem = str(exc)
            target.unlink(missing_ok=True)
            continue
        write_bytes_atomic(target, data)
        written.append(target)
    return sorted(written)


def _attachment_digests(msg: MIMEMultipart) -> dict[str, str]:
    """Each attachment's name → SHA-256 of its content, as the message carries it."""
    digests = {}
    for part in msg.walk():
        filename, data = part.get_filename(), part.get_payload(decode=True)
        if filename and isinstance(data, bytes):
            digests[filename] = hashlib.sha256(data).hexdigest()
    return digests


class SendLog:
    """Each delivered message, one JSON line; a rerun sends only what is not in it."""

    def __init__(self, path: Path):
        self.path = path
        self.sent: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self.sent.add(json.loads(line)["key"])
                except (ValueError, KeyError):
                    continue  # a torn last line from a crash: that message counts as not sent

    def record(self, m: Outgoing, msg: MIMEMultipart, refused: dict[str, Any]) -> None:
        """`msg` as sent: its Message-ID, and a digest of each attachment it carried."""
        entry = {
            "key": m.key,
            "department": m.name,
            "to": m.to,
            "cc": m.cc,
            "message_id": msg["Message-ID"],
            "refused": sorted(refused),
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attachments": _attachment_digests(msg),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.sent.add(m.key)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls" or "ssl"
    user: str
    sender: tuple[str, str]  # (display name, address)
    timeout: float
    cafile: str | None

    @classmethod
    def from_settings(cls, smtp: dict[str, Any]) -> SmtpSettings:
        known = {"host", "port", "security", "user", "sender", "timeout", "cafile"}
        unknown = set(smtp) - known
        if unknown:
            raise MailError(f"未知的 [smtp] 设置项：{'、'.join(sorted(unknown))}（可用：{'、'.join(sorted(known))}）")
        if not smtp.get("host"):
            raise MailError("发送邮件需要在设置文件的 [smtp] 中填写 host、port、sender 等")
        security = str(smtp.get("security", "starttls")).lower()
        if security not in ("starttls", "ssl"):
            raise MailError("[smtp] security 只能是 starttls 或 ssl（不支持明文发送）")
        sender = smtp.get("sender") or smtp.get("user")
        if not sender:
            raise MailError("[smtp] 需要有效的发件人地址 sender")
        return cls(
            host=str(smtp["host"]),
            port=int(smtp.get("port", 465 if security == "ssl" else 587)),
            security=security,
            user=str(smtp.get("user", "")),
            sender=_sender(sender),
            timeout=float(smtp.get("timeout", 30)),
            cafile=str(smtp["cafile"]) if smtp.get("cafile") else None,
        )


def _connect(cfg: SmtpSettings, password: str | None) -> smtplib.SMTP:
    """A connection, logged in; CannotSend (with the reason in Chinese) when there is none."""
    try:
        context = ssl.create_default_context(cafile=cfg.cafile)  # verification on, always
    except OSError as exc:
        raise CannotSend(f"无法读取 [smtp] cafile {cfg.cafile}：{exc.strerror or exc}") from None
    try:
        if cfg.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise CannotSend(explain(exc)) from None
    try:
        if cfg.security == "starttls":
            server.starttls(context=context)
        if cfg.user:
            try:
                server.login(cfg.user, password or "")
            except smtplib.SMTPServerDisconnected:
                # some servers hang up after a refused password instead of answering 535
                raise LoginFailed("登录邮件服务器时连接被断开（用户名或密码可能错误）") from None
    except (smtplib.SMTPException, OSError, UnicodeEncodeError) as exc:
        server.close()
        raise CannotSend(explain(exc)) from None
    return server


class LoginFailed(smtplib.SMTPException):
    pass


def explain(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"服务器证书验证失败（{exc.verify_message or exc}），未发送；请检查服务器地址或在 [smtp] cafile 中指定受信任的证书"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "收件人被服务器拒绝：" + "；".join(
            f"{a}（{c} {m.decode(errors='replace') if isinstance(m, bytes) else m}）" for a, (c, m) in exc.recipients.items()
        )
    if isinstance(exc, LoginFailed):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "登录邮件服务器失败（用户名或密码错误）"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "与邮件服务器的连接中断"
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"邮件服务器拒绝：{exc.smtp_code} {msg}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "连接邮件服务器超时"
    if isinstance(exc, ssl.SSLError):
        return f"TLS 连接失败：{exc}"
    if isinstance(exc, UnicodeEncodeError):
        return "用户名或密码含非 ASCII 字符，SMTP 登录不支持；请改用 ASCII 密码（或授权码）"
    if isinstance(exc, OSError):
        return f"无法连接邮件服务器：{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def send_all(
    outdir: Path,
    messages: list[Outgoing],
    smtp: dict[str, Any],
    password: str | None = None,
    resend: set[str] | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SendReport:
    """Send what the log does not hold yet; one department's failure never stops the others.

    --dry-run builds each message just as a send would, so both fail the same departments.
    When the server cannot be reached or refuses the login, the batch stops: CannotSend."""
    cfg = SmtpSettings.from_settings(smtp)
    if password is None:
        password = os.environ.get(PASSWORD_ENV)
    if cfg.user and not password and not dry_run:
        raise MailError(f"请通过环境变量 {PASSWORD_ENV} 提供 SMTP 密码（密码不写入设置文件）")
    resend = resend or set()
    unknown = resend - {m.name for m in messages}
    if unknown:
        raise MailError(f"--resend 指定的部门不在本批结果中：{'、'.join(sorted(unknown))}")
    log = SendLog(outdir / MAIL_DIR / SEND_LOG)
    report = SendReport()
    server: smtplib.SMTP | None = None
    try:
        for m in messages:
            if m.key in log.sent and m.name not in resend:
                report.skipped.append(m.name)
            elif m.problem:
                report.failed.append((m.name, m.problem))
            elif not m.to:
                report.failed.append((m.name, "没有收件人地址（工作簿“电子邮箱”为空，名单中也没有）"))
            else:
                server = _send_one(m, cfg, password, server, log, report, dry_run)
            if progress:
                progress(m.name)
    finally:
        _close(server)
    return report


def _send_one(
    m: Outgoing, cfg: SmtpSettings, password: str | None, server: smtplib.SMTP | None, log: SendLog, report: SendReport, dry_run: bool
) -> smtplib.SMTP | None:
    """Send (or plan) one message and note the outcome in `report`; the connection to use next."""
    try:
        msg = m.build(cfg.sender, draft=False)
    except Undeliverable as exc:
        report.failed.append((m.name, str(exc)))
        return server
    if dry_run:
        report.planned.append(m)
        return server
    if server is None:
        try:
            server = _connect(cfg, password)
        except CannotSend as exc:
            done = f"；本次已发送的 {len(report.sent)} 封已记入发送记录，重新运行不会重发" if report.sent else ""
            raise CannotSend(f"{exc}。已停止发送，{m.name}及其后的部门均未发送{done}") from None
    try:
        refused = server.send_message(msg, cfg.sender[1], m.recipients)
    except (smtplib.SMTPException, OSError) as exc:
        report.failed.append((m.name, explain(exc)))
        if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)):
            return server
        _close(server)
        return None  # the connection dropped: reconnect for the next department
    report.sent.append(m.name)
    try:
        log.record(m, msg, refused or {})
    except OSError as exc:
        _close(server)
        raise CannotSend(f"{m.name}已发送，但无法写入发送记录 {log.path}：{exc.strerror or exc}。为免重复发送，已停止") from None
    return server


def _close(server: smtplib.SMTP | None) -> None:
    if server is None:
        return
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()
