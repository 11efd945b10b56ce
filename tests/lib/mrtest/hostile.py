"""Hostile login names and passwords: what an attacker or a broken client
sends. Each name is either a clean refusal or exactly the account it
names (SPEC 3: ASCII letters fold, every other byte is exact)."""

# Names that address a fixture account, and the canonical user they reach
# for delivery (userdb) and login (passdb; None: no login by that name).
VALID = {
    "john@example.com": ("john@example.com", "john@example.com"),
    "JOHN@EXAMPLE.COM": ("john@example.com", "john@example.com"),
    "john+x@example.com": ("john@example.com", None),
    "john+@example.com": ("john@example.com", None),
    "john++@example.com": ("john@example.com", None),
    "john+a+b@example.com": ("john@example.com", None),
    "john-@example.com": ("john@example.com", None),
    "john-smith@example.com": ("john-smith@example.com", "john-smith@example.com"),
    "john-smith+x-y@example.com": ("john-smith@example.com", None),
    "john-x@example.com": ("john@example.com", None),
}

_BASES = ["john", "jürgen", "mary"]

# Look-alikes of real names: utf8_general_ci equates them, SPEC 3 not.
LOOKALIKES = [
    "jöhn@example.com", "jóhn@example.com", "jōhn@example.com", "john@exämple.com",
    "jöhn@exämple.com", "john@éxample.com", "JÖHN@EXAMPLE.COM", "jurgen@example.com",
    "JÜRGEN@example.com", "jürgen@EXÄMPLE.COM", "joß@example.com", "john@example.cöm",
    "İohn@example.com", "john@examp\u0131e.com", "\u212aohn@example.com",  # Kelvin sign
    "jo\u0068\u0308n@example.com", "ju\u0308rgen@example.com",  # NFD
    "john\u00a0@example.com", "john\u200b@example.com", "\ufeffjohn@example.com",
    "ｊｏｈｎ@example.com", "john@ｅxample.com", "john @example.com", " john@example.com",
    "john@example.com ", "john@example.com.", ".john@example.com", "john.@example.com",
    "john@@example.com", "john@example.com@", "@john@example.com",
]

SQL = [
    "' OR '1'='1@example.com", "john'--@example.com", "john\"@example.com",
    "john';DROP TABLE auth_user;--@example.com", "%@example.com", "_@example.com",
    "j%@example.com", "jo_n@example.com", "john@%", "john@_xample.com", "\\@example.com",
    "john\\@example.com", "john@example.com\\", "john@example.com' OR 1=1 --",
    "john@example.com') UNION SELECT 1--", "*@example.com", "john@*", "?@example.com",
    "john@example.com;", "`john`@example.com", "john@`example`.com", "$1@example.com",
    "john@example.com\\0", "0x6a6f686e@example.com", "CHAR(106)@example.com",
]

CONTROL = [
    "john\x00@example.com", "john@example.com\x00", "\x00", "john\r@example.com",
    "john\n@example.com", "john\t@example.com", "john@example.com\r\n",
    "john@example.com\nfake log line", "\x1b[2Jjohn@example.com", "john\x7f@example.com",
    "john\x08@example.com", "john@exa\x0bmple.com", "john\x1f@example.com",
]

ENCODING = [
    b"john\xff@example.com", b"john\xc3@example.com", b"\xc0\xafjohn@example.com",
    b"john@\xe0\x80\x80example.com", b"\xed\xa0\x80@example.com", b"john\xf0\x9f\x92\xa9@example.com",
    b"\xf4\x90\x80\x80@example.com", b"john@example.com\xc2", b"\xfe\xff@example.com",
    b"j\xc3\xb6hn\xc3@example.com",
]

SHAPE = [
    "", "@", "@@", "john", "john@", "@example.com", "john@.", "john@..", "..@example.com",
    ".@example.com", "john@x", "john/x@example.com", "../john@example.com",
    "john@../example.com", "john@example.com/..", "john:x@example.com", "john@ex:ample.com",
    "a" * 256 + "@example.com", "john@" + "e" * 256, "a" * 10000 + "@example.com",
    "john@" + "x" * 10000, "@" * 100, "john" + "@" * 50 + "example.com",
    "+@example.com", "-@example.com", "+-@example.com", "-+@example.com", "++@example.com",
    "+john@example.com", "-john@example.com", "john+@", "+@",
    "nobody@example.com", "nobody+john@example.com", "john@nothere.example",
]

# Per base name: case and detail games that are not the account.
GENERATED = []
for _base in _BASES:
    GENERATED += [
        "%s@example.invalid" % _base,
        "%s%%@example.com" % _base,
        "%s_@example.com" % _base,
        "x%s@example.com" % _base,
        "%sx@example.com" % _base,
        "%s@sub.example.com" % _base,
        "%s@example.co" % _base,
        "%s@example.comm" % _base,
        "%s@exampl.com" % _base,
        "%s@example" % _base,
        "%s.@example.com" % _base,
        "%s@-example.com" % _base,
        "%s@example.com%%00" % _base,
        "%s#@example.com" % _base,
        "%s@[127.0.0.1]" % _base,
        "\"%s\"@example.com" % _base,
        "<%s@example.com>" % _base,
        "%s@example.com>" % _base,
        "%s@EXAMPLE.COM." % _base,
    ]

REFUSED = LOOKALIKES + SQL + CONTROL + SHAPE + GENERATED

PASSWORDS = [
    "", "\x00", "a\x00b", "' OR '1'='1", "%", "_", "\\", "\n", "\r\n", "\t", "x" * 10000,
    "\xff", "ö", "o\u0308", "pw-john@example.com ", " pw-john@example.com",
    "PW-JOHN@EXAMPLE.COM", "{PLAIN}x", "{DJANGO}x", "pbkdf2_sha256$1$salt$x", "!",
]


def all_names():
    """Every name as bytes, with its expected userdb and passdb answer:
    (name, canonical user for delivery or None, for login or None)."""
    out = []
    for name, (userdb, passdb) in VALID.items():
        out.append((name.encode(), userdb, passdb))
    for name in REFUSED:
        out.append((name.encode() if isinstance(name, str) else name, None, None))
    for name in ENCODING:
        out.append((name, None, None))
    return out

# Database text the hosted features read (issue 24): each is refused by the
# database or made harmless in every output.

# A group's domain name that Dovecot would split acl_groups at or unescape:
# "m2.example,continuity" joined the continuity group.
GROUP_DOMAINS = [
    "m2.example,continuity", "m2.example,projects@shared-a.com", "m2.example continuity",
    "m2.example\tcontinuity", "m2.example\ncontinuity", 'm2.example"', "m2.example\\",
    "m2..example", ".m2.example", "m2.example\u0085", "m2.exa_mple",
]

# A list's description or name as the control panel may store it.
DESCRIPTIONS = [
    "before\x00after", "line\nmember\tevil@x.example\taccount 1", "\x1b[2Jclear",
    "tab\there", "back\\slash", '"quoted"', "next\u0085line", "del\x7f",
]

# An external list member that is not exactly one address: Postfix would
# read some of these as two recipients.
EXTERNAL_MEMBERS = [
    "a@x.example,b@y.example", "a@x.example b@y.example", "<a@x.example>",
    '"a b"@x.example', "a@x.example\n", "a@x.example\tb@y.example", "a(comment)@x.example",
    "a@x.example;", "group:a@x.example;", "a@b@x.example", "@x.example", "a@",
    "a@x.example\u0085", "a\\@x.example",
]

# Quota usage rows Dovecot never writes: the table refuses them.
QUOTA_ROWS = [(-1, 0), (0, -1), (-(2 ** 63), 0)]
