"""Results to each department by e-mail: drafts by default, SMTP only when asked, never twice.

Messages are built with the compat32 MIME classes so that each attachment carries both
names mail clients look for: an RFC 2231 `filename*` (Thunderbird, Apple Mail, Gmail) and an
RFC 2047 encoded-word `name` (Outlook, QQ Mail).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, getaddresses
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


@dataclass
class Outgoing:
    key: str  # identifies the department across runs: 部门编码, else 部门名称, with the year
    name: str
    stem: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str
    attachments: list[tuple[str, Path]]
    message_id: str
    date: datetime

    def build(self, sender: str | None, draft: bool) -> MIMEMultipart:
        msg = MIMEMultipart()
        msg["Subject"] = Header(self.subject, "utf-8")  # type: ignore[assignment]  # email takes a Header; the stubs say str
        if sender:
            msg["From"] = sender
        if self.to:
            msg["To"] = ", ".join(self.to)
        if self.cc:
            msg["Cc"] = ", ".join(self.cc)
        msg["Date"] = format_datetime(self.date)
        msg["Message-ID"] = self.message_id
        if draft:
            msg["X-Unsent"] = "1"  # Outlook opens the .eml as a draft, ready to send
        msg.attach(MIMEText(self.body, "plain", "utf-8"))
        for filename, path in self.attachments:
            maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
            part = MIMEBase(maintype, subtype)
            part.set_payload(path.read_bytes())
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


def split_addresses(text: str) -> list[str]:
    parts = re.split(r"[;；,，、\s]+", text or "")
    return [p for p in parts if p]


def load_roster(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """部门名称 or 部门编码 → (收件人, 抄送), from an .xlsx or .csv roster."""
    rows: list[list[Any]]
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="gb18030")
        rows = list(csv.reader(text.splitlines()))
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
    roster: dict[str, tuple[list[str], list[str]]] = {}
    for r in rows[header_at + 1 :]:

        def get(label: str, r: list[Any] = r) -> str:
            i = col.get(label)
            return clean_text(r[i]) if i is not None and i < len(r) else ""

        entry = (split_addresses(get("收件人")), split_addresses(get("抄送")))
        for label, prefix in (("部门编码", "code:"), ("部门名称", "name:")):
            if get(label):
                roster[prefix + normalize_label(get(label))] = entry
    return roster


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
    else:
        lines.append(f"  提交的文件无法读取：{dep.get('read_error')}")
    to_fix = [f for f in dep.get("findings", []) if f["severity"] in ("错误", "警告")]
    infos = len(dep.get("findings", [])) - len(to_fix)
    lines.append("")
    if to_fix:
        lines.append(f"审核发现需要修改或说明的问题 {len(to_fix)} 条（错误 {dep.get('errors', 0)} 条，警告 {dep.get('warnings', 0)} 条）：")
        for i, f in enumerate(to_fix, start=1):
            where = f"{f['sheet']}!{f['cell']}" if f.get("cell") else (f.get("sheet") or "文件")
            lines.append(f"  {i}. 【{f['severity']} {f['code']}】{where}：{f['message']}")
        lines.append("“错误”请改正后重新提交工作簿；“警告”请核实，必要时在工作簿中说明。")
    else:
        lines.append("审核未发现需要修改的问题。")
    if infos:
        lines.append(f"另有 {infos} 条提示，详见附件“需要修改的问题”工作表。")
    lines += ["", "附件：评价结果工作簿（含需要修改的问题清单）及评价报告（Word）。", "本邮件由 perfeval 生成，如有疑问请回复。"]
    return "\n".join(lines) + "\n"


def build_outgoing(outdir: Path, results: dict[str, Any], roster: dict | None = None) -> tuple[list[Outgoing], list[str]]:
    """One message per department, and the departments that have no address."""
    from .values import normalize_label

    deps = results.get("departments", [])
    stems = unique_stems([d["name"] for d in deps])
    run_date = datetime.fromisoformat(results.get("run_date", "2000-01-01")).replace(hour=9, tzinfo=UTC)
    messages, missing = [], []
    for dep, stem in zip(deps, stems, strict=True):
        to, cc = split_addresses(dep.get("email", "")), []
        for probe in (f"code:{normalize_label(dep.get('code') or '')}", f"name:{normalize_label(dep['name'])}"):
            if roster and probe in roster and probe not in ("code:", "name:"):
                to, cc = roster[probe]
                break
        to = [a for a in to if EMAIL.match(a)]
        cc = [a for a in cc if EMAIL.match(a)]
        if not to:
            missing.append(dep["name"])
        year = f"{dep['year']}" if dep.get("year") else ""
        attachments = []
        for output in DEPARTMENT_OUTPUTS:
            rel = dep.get("outputs", {}).get(output.kind)
            if rel:
                path = outdir / rel
                attachments.append((f"{stem}_{output.attachment}{path.suffix}", path))
        key = _key(dep)
        digest = hashlib.sha256(f"{key}|{results.get('run_date')}".encode()).hexdigest()[:24]
        messages.append(
            Outgoing(
                key=key,
                name=dep["name"],
                stem=stem,
                to=to,
                cc=cc,
                subject=f"【绩效评价结果】{dep['name']}{year}年度部门整体支出绩效评价",
                body=_body(dep),
                attachments=attachments,
                message_id=f"<perfeval.{digest}@perfeval.local>",
                date=run_date,
            )
        )
    return messages, missing


def write_drafts(outdir: Path, messages: list[Outgoing], sender: str | None) -> list[Path]:
    written = []
    for m in messages:
        target = outdir / MAIL_DIR / f"{m.stem}.eml"
        write_bytes_atomic(target, m.build(sender, draft=True).as_bytes())
        written.append(target)
    return written


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

    def record(self, m: Outgoing, refused: dict[str, Any]) -> None:
        entry = {
            "key": m.key,
            "department": m.name,
            "to": m.to,
            "cc": m.cc,
            "message_id": m.message_id,
            "refused": sorted(refused),
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attachments": {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in m.attachments},
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
    sender: str
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
        sender = str(smtp.get("sender") or smtp.get("user") or "")
        if not EMAIL.match(getaddresses([sender])[0][1] if sender else ""):
            raise MailError("[smtp] 需要有效的发件人地址 sender")
        return cls(
            host=str(smtp["host"]),
            port=int(smtp.get("port", 465 if security == "ssl" else 587)),
            security=security,
            user=str(smtp.get("user", "")),
            sender=sender,
            timeout=float(smtp.get("timeout", 30)),
            cafile=str(smtp["cafile"]) if smtp.get("cafile") else None,
        )


def _connect(cfg: SmtpSettings, password: str | None) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=cfg.cafile)  # verification on, always
    if cfg.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        server.starttls(context=context)
    if cfg.user:
        try:
            server.login(cfg.user, password or "")
        except smtplib.SMTPServerDisconnected:
            # some servers hang up after a refused password instead of answering 535
            server.close()
            raise LoginFailed("登录邮件服务器时连接被断开（用户名或密码可能错误）") from None
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
    """Send what the log does not hold yet; one department's failure never stops the others."""
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
    cannot_connect: str | None = None  # a failed connection or login fails every message after it alike
    try:
        for m in messages:
            if m.key in log.sent and m.name not in resend:
                report.skipped.append(m.name)
            elif not m.to:
                report.failed.append((m.name, "没有收件人地址（工作簿“电子邮箱”为空或无效，名单中也没有）"))
            elif dry_run:
                report.planned.append(m)
            elif cannot_connect:
                report.failed.append((m.name, cannot_connect))
            else:
                if server is None:
                    try:
                        server = _connect(cfg, password)
                    except (smtplib.SMTPException, OSError, UnicodeEncodeError) as exc:
                        cannot_connect = explain(exc)
                        report.failed.append((m.name, cannot_connect))
                        continue
                try:
                    refused = server.send_message(m.build(cfg.sender, draft=False), cfg.sender, m.to + m.cc)
                    log.record(m, refused or {})
                    report.sent.append(m.name)
                except (smtplib.SMTPException, OSError) as exc:
                    report.failed.append((m.name, explain(exc)))
                    if not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)):
                        _close(server)
                        server = None  # the connection dropped: reconnect for the next department
            if progress:
                progress(m.name)
    finally:
        _close(server)
    return report


def _close(server: smtplib.SMTP | None) -> None:
    if server is None:
        return
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()
