"""A real IMAP server for the mailbox tests: Debian's Dovecot, started on loopback.

`.ci/run` installs it (`dovecot-imapd`); a machine without it fails these tests with the
command that installs it, rather than skipping them. The server runs from a temporary
folder with its own configuration, one user (`ap`, password `secret`) and Maildir storage;
each test starts with an empty mailbox.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "ap", "secret"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
{users_line}
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


class ImapServer:
    def __init__(self, port: int):
        self.host, self.port = "127.0.0.1", port

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@{self.host}:{self.port}/INBOX"

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.append(folder, raw)

    def messages(self, folder: str = "INBOX") -> dict[int, tuple]:
        """{uid: flags} of the messages in a folder."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()}

    def empty(self) -> None:
        with self.client() as client:
            for _, _, name in client.list_folders():
                if name != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()


@pytest.fixture(scope="session")
def imap_server():
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"{DOVECOT} is missing: the mailbox tests need a real IMAP server "
            "(apt-get install dovecot-imapd; .ci/run does it)"
        )
    root = Path(tempfile.mkdtemp(prefix="ledgerline-dovecot-"))
    root.chmod(0o755)  # Dovecot's auth process runs as its own user and reads the users file
    if os.getuid() == 0:
        account = pwd.getpwnam("dovecot")
        users_line = ""
    else:
        account = pwd.getpwuid(os.getuid())
        users_line = (
            f"default_internal_user = {account.pw_name}\ndefault_login_user = {account.pw_name}"
        )
    (root / "mail").mkdir()
    if os.getuid() == 0:
        shutil.chown(root / "mail", account.pw_uid, account.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root, uid=account.pw_uid, gid=account.pw_gid, port=port, users_line=users_line
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail(f"Dovecot did not start: {process.stdout.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield ImapServer(port)
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(imap_server):
    imap_server.empty()
    return imap_server
