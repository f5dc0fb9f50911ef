/* Loading configuration files through the table of known keys. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pl_config_set(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

void pl_config_init(pl_config *c)
{
    memset(c, 0, sizeof *c);
    c->connect_timeout_ms = 5000;
    c->max_connections = 64;
    c->max_execs = 64;
    c->handshake_timeout_ms = 10000;
    c->idle_timeout_ms = 0;
    c->allow_exec = 1;
    c->allow_tty = 1;
    c->allow_files = 1;
    c->read_only = 0;
    c->kill_grace_ms = 2000;
    c->attestation = 1;
    c->attestation_refresh_s = 3600;
    pl_config_set(&c->shell, "/bin/sh");
}

void pl_config_free(pl_config *c)
{
    for (size_t i = 0; i < pl_config_nkeys; i++)
        if (pl_config_keys[i].type == PL_CFG_STRING)
            free(*(char **)((char *)c + pl_config_keys[i].offset));
    memset(c, 0, sizeof *c);
}

/* ---- the table ---- */

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const pl_config_key *find_key(const char *group, const char *name,
                                     int in_host)
{
    for (size_t i = 0; i < pl_config_nkeys; i++) {
        const pl_config_key *k = &pl_config_keys[i];
        if (same(k->group, group) && strcmp(k->name, name) == 0 &&
            (!in_host || (k->flags & PL_CFG_HOST)))
            return k;
    }
    return NULL;
}

static int group_known(const char *name, int in_host)
{
    for (size_t i = 0; i < pl_config_nkeys; i++) {
        const pl_config_key *k = &pl_config_keys[i];
        if (k->group && strcmp(k->group, name) == 0 &&
            (!in_host || (k->flags & PL_CFG_HOST)))
            return 1;
    }
    return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *pl_config_closest(const char *group, const char *name, char *out,
                              size_t n)
{
    size_t best = (size_t)-1;
    const pl_config_key *pick = NULL;
    for (size_t i = 0; i < pl_config_nkeys; i++) {
        const pl_config_key *k = &pl_config_keys[i];
        /* The same name in another group counts as close: it is usually a
         * key written in the wrong place. */
        size_t d = edit_distance(name, k->name) * 2 + !same(group, k->group);
        if (d < best) {
            best = d;
            pick = k;
        }
    }
    size_t len = strlen(name);
    size_t limit = 2 * (len < 6 ? 2 : len / 3) + 1;
    if (!pick || best > limit)
        return NULL;
    if (same(pick->group, group))
        snprintf(out, n, "%s", pick->name);
    else if (pick->group)
        snprintf(out, n, "%s.%s", pick->group, pick->name);
    else
        snprintf(out, n, "%s at the top level", pick->name);
    return out;
}

/* ---- values ---- */

typedef struct layer {
    pl_config *c;
    const char *file;
    int saw_address, saw_cidport; /* what this file (or host entry) set */
} layer;

static int line_of(const config_setting_t *s)
{
    return (int)config_setting_source_line(s);
}

static int get_whole(const layer *l, const config_setting_t *s, const char *key,
                     long long max, long long *out, pl_error *err)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s must be a whole number",
                       l->file, line_of(s), key);
    long long v = config_setting_get_int64(s);
    if (v < 0 || v > max)
        return pl_fail(err, PL_ERR_CONFIG,
                       "%s:%d: %s is out of range (0..%lld)", l->file,
                       line_of(s), key, max);
    *out = v;
    return 0;
}

static int set_value(layer *l, const pl_config_key *k, config_setting_t *s,
                     pl_error *err)
{
    char key[160];
    if (k->group)
        snprintf(key, sizeof key, "%s.%s", k->group, k->name);
    else
        snprintf(key, sizeof key, "%s", k->name);
    void *slot = (char *)l->c + k->offset;
    long long v = 0;
    switch (k->type) {
    case PL_CFG_U32:
        if (get_whole(l, s, key, UINT32_MAX, &v, err))
            return -1;
        *(uint32_t *)slot = (uint32_t)v;
        break;
    case PL_CFG_INT: {
        long long max = k->max ? k->max : 1000000;
        if (get_whole(l, s, key, LLONG_MAX, &v, err))
            return -1;
        if (v > max)
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: %s is too large (at most %lld)", l->file,
                           line_of(s), key, max);
        *(int *)slot = (int)v;
        break;
    }
    case PL_CFG_SECS:
        if (get_whole(l, s, key, LLONG_MAX, &v, err))
            return -1;
        /* Kept in int milliseconds: cap below INT_MAX / 1000 seconds
         * (about 24 days) rather than overflow. */
        if (v > INT_MAX / 1000)
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: %s is too large (at most %d seconds)",
                           l->file, line_of(s), key, INT_MAX / 1000);
        *(int *)slot = (int)v * 1000;
        break;
    case PL_CFG_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: %s must be true or false", l->file,
                           line_of(s), key);
        *(int *)slot = config_setting_get_bool(s);
        break;
    case PL_CFG_STRING: {
        const char *str = config_setting_get_string(s);
        if (!str)
            return pl_fail(err, PL_ERR_CONFIG, "%s:%d: %s must be a \"string\"",
                           l->file, line_of(s), key);
        pl_config_set((char **)slot, str);
        break;
    }
    case PL_CFG_CUSTOM:
        if (k->parse(l->c, s, l->file, err))
            return -1;
        break;
    }
    if (k->has_offset != PL_CFG_NO_HAS)
        *(int *)((char *)l->c + k->has_offset) = 1;
    if (!k->group && strcmp(k->name, "address") == 0)
        l->saw_address = 1;
    if (!k->group && (!strcmp(k->name, "cid") || !strcmp(k->name, "port")))
        l->saw_cidport = 1;
    return 0;
}

static int unknown_key(const layer *l, const char *where,
                       const config_setting_t *s, const char *group,
                       pl_error *err)
{
    const char *name = config_setting_name(s);
    char near[160], hint[240] = "";
    if (pl_config_closest(group, name, near, sizeof near))
        snprintf(hint, sizeof hint, " (did you mean %s?)", near);
    return pl_fail(err, PL_ERR_CONFIG, "%s:%d: unknown key %s%s%s%s%s", l->file,
                   line_of(s), group ? group : "", group ? "." : "", name,
                   where, hint);
}

static int walk(layer *l, config_setting_t *g, const char *group, int in_host,
                pl_error *err);

/* Every entry of `hosts` is checked; none is applied here. */
static int check_hosts(layer *l, config_setting_t *hosts, pl_error *err)
{
    if (!config_setting_is_group(hosts))
        return pl_fail(err, PL_ERR_CONFIG,
                       "%s:%d: hosts must be a group: hosts = { NAME = { "
                       "address = \"vsock:16:5000\"; }; };",
                       l->file, line_of(hosts));
    int n = config_setting_length(hosts);
    for (int i = 0; i < n; i++) {
        config_setting_t *h = config_setting_get_elem(hosts, (unsigned)i);
        if (!config_setting_is_group(h))
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: hosts entry %s must be a group: %s = { "
                           "address = \"...\"; };",
                           l->file, line_of(h), config_setting_name(h),
                           config_setting_name(h));
        pl_config scratch;
        pl_config_init(&scratch);
        layer sl = {.c = &scratch, .file = l->file};
        int rc = walk(&sl, h, NULL, 1, err);
        pl_config_free(&scratch);
        if (rc)
            return -1;
    }
    return 0;
}

static int walk(layer *l, config_setting_t *g, const char *group, int in_host,
                pl_error *err)
{
    const char *where = in_host ? " in a hosts entry" : "";
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        if (!name)
            continue;
        if (!group && !in_host && strcmp(name, "hosts") == 0) {
            if (check_hosts(l, s, err))
                return -1;
            continue;
        }
        if (!group && group_known(name, in_host) &&
            !find_key(NULL, name, in_host)) {
            if (!config_setting_is_group(s))
                return pl_fail(err, PL_ERR_CONFIG,
                               "%s:%d: %s must be a group: %s = { key = "
                               "value; };",
                               l->file, line_of(s), name, name);
            if (walk(l, s, name, in_host, err))
                return -1;
            continue;
        }
        const pl_config_key *k = find_key(group, name, in_host);
        if (!k)
            return unknown_key(l, where, s, group, err);
        if (set_value(l, k, s, err))
            return -1;
    }
    return 0;
}

/* A value from a later file replaces how the address was given earlier:
 * `address` there overrides `cid`/`port` here, and the other way round. */
static void settle_address(const layer *l, pl_config *c)
{
    if (l->saw_address && !l->saw_cidport)
        c->has_cid = c->has_port = 0;
    if (l->saw_cidport && !l->saw_address) {
        free(c->address);
        c->address = NULL;
    }
}

/* ---- TOML look-alikes ---- */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r' || s[n - 1] == ';'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

/* "a.b.c" and VALUE into "a = { b = { c = VALUE; }; };". */
static void nest(const char *dotted, const char *value, char *out, size_t n)
{
    size_t len = 0, depth = 0;
    const char *p = dotted;
    out[0] = '\0';
    for (;;) {
        size_t seg = strcspn(p, ".");
        if (p[seg] == '.') {
            len += (size_t)snprintf(out + len, len < n ? n - len : 0,
                                    "%.*s = { ", (int)seg, p);
            depth++;
            p += seg + 1;
        } else {
            len += (size_t)snprintf(out + len, len < n ? n - len : 0,
                                    "%s = %s;", p, value);
            break;
        }
    }
    while (depth--)
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, " };");
}

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
}

const char *pl_config_toml_hint(const char *line, char *out, size_t n)
{
    char s[512];
    snprintf(s, sizeof s, "%s", line);
    trim(s);
    if (s[0] == '[') {
        /* [server] or [[hosts]]: a table header. */
        char *p = s + strspn(s, "[ ");
        size_t len = 0;
        while (is_name_char(p[len]))
            len++;
        if (!len)
            return NULL;
        p[len] = '\0';
        nest(p, "{ key = value; }", out, n);
        return out;
    }
    char *eq = strpbrk(s, "=:");
    if (!eq || eq == s)
        return NULL;
    char key[256], value[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - s), s);
    snprintf(value, sizeof value, "%s", eq + 1);
    trim(key);
    trim(value);
    for (const char *k = key; *k; k++)
        if (!is_name_char(*k))
            return NULL;
    int changed = strchr(key, '.') != NULL;
    char fixed[300];
    if (value[0] == '\'') {
        /* 'literal' strings: libconfig knows only "double quoted" ones. */
        char *end = strchr(value + 1, '\'');
        if (!end)
            return NULL;
        size_t o = 0;
        fixed[o++] = '"';
        for (char *c = value + 1; c < end && o + 3 < sizeof fixed; c++) {
            if (*c == '"' || *c == '\\')
                fixed[o++] = '\\';
            fixed[o++] = *c;
        }
        fixed[o++] = '"';
        fixed[o] = '\0';
        changed = 1;
    } else if ((value[0] >= '0' && value[0] <= '9') || value[0] == '-' ||
               value[0] == '+') {
        /* 5_000: TOML's digit separators. */
        size_t o = 0;
        for (char *c = value; *c && o + 1 < sizeof fixed; c++) {
            if (*c == '_')
                changed = 1;
            else
                fixed[o++] = *c;
        }
        fixed[o] = '\0';
    } else {
        snprintf(fixed, sizeof fixed, "%s", value);
    }
    if (!changed)
        return NULL;
    nest(key, fixed, out, n);
    return out;
}

/* The text of line `no` of path, or "" when it cannot be read. */
static void read_line(const char *path, int no, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char buf[512];
    int at = 0;
    while (fgets(buf, sizeof buf, f))
        if (++at == no) {
            snprintf(out, n, "%s", buf);
            break;
        }
    fclose(f);
}

static int syntax_error(config_t *cf, const char *path, pl_error *err)
{
    int line = config_error_line(cf);
    char text[512], hint[600];
    /* libconfig may report the line after the culprit. */
    for (int no = line; no >= line - 1 && no > 0; no--) {
        read_line(path, no, text, sizeof text);
        if (pl_config_toml_hint(text, hint, sizeof hint)) {
            trim(text);
            return pl_fail(err, PL_ERR_CONFIG,
                           "%s:%d: %s: \"%s\" looks like TOML, which this "
                           "libconfig file cannot hold; write it as: %s",
                           path, no, config_error_text(cf), text, hint);
        }
    }
    return pl_fail(err, PL_ERR_CONFIG,
                   "%s:%d: %s (the format is libconfig: key = value; groups "
                   "as name = { key = value; };)",
                   path, line, config_error_text(cf));
}

/* ---- files ---- */

/* Opens path into cf. 1: parsed; 0: absent and not required; -1: error. */
static int open_file(config_t *cf, const char *path, int required,
                     pl_error *err)
{
    if (access(path, F_OK) != 0) {
        if (required || errno != ENOENT)
            return pl_fail_errno(err, PL_ERR_CONFIG, errno,
                                 "cannot read configuration file %s", path);
        return 0;
    }
    config_init(cf);
    if (!config_read_file(cf, path)) {
        if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
            pl_fail_errno(err, PL_ERR_CONFIG, errno,
                          "cannot read configuration file %s", path);
        else
            syntax_error(cf, path, err);
        config_destroy(cf);
        return -1;
    }
    return 1;
}

static void note_file(pl_config *c, const char *path)
{
    snprintf(c->path, sizeof c->path, "%s", path);
    size_t len = strlen(c->files);
    snprintf(c->files + len, sizeof c->files - len, "%s%s", len ? ", " : "",
             path);
}

int pl_config_read(pl_config *c, const char *path, int required, pl_error *err)
{
    config_t cf;
    int rc = open_file(&cf, path, required, err);
    if (rc <= 0)
        return rc;
    layer l = {.c = c, .file = path};
    rc = walk(&l, config_root_setting(&cf), NULL, 0, err);
    config_destroy(&cf);
    if (rc)
        return -1;
    settle_address(&l, c);
    note_file(c, path);
    c->loaded = 1;
    return 0;
}

int pl_config_apply_host(pl_config *c, const char *path, const char *name,
                         int *found, pl_error *err)
{
    *found = 0;
    config_t cf;
    int rc = open_file(&cf, path, 0, err);
    if (rc <= 0)
        return rc;
    config_setting_t *hosts = config_lookup(&cf, "hosts");
    config_setting_t *h = hosts && config_setting_is_group(hosts)
                              ? config_setting_get_member(hosts, name)
                              : NULL;
    rc = 0;
    if (h && config_setting_is_group(h)) {
        layer l = {.c = c, .file = path};
        rc = walk(&l, h, NULL, 1, err);
        if (!rc) {
            settle_address(&l, c);
            snprintf(c->host, sizeof c->host, "%s", name);
            *found = 1;
        }
    }
    config_destroy(&cf);
    return rc;
}

/* Names of the hosts entries in path, appended to out. */
static void list_hosts(const char *path, char *out, size_t n)
{
    config_t cf;
    if (open_file(&cf, path, 0, NULL) <= 0)
        return;
    config_setting_t *hosts = config_lookup(&cf, "hosts");
    int count = hosts ? config_setting_length(hosts) : 0;
    for (int i = 0; i < count; i++) {
        size_t len = strlen(out);
        snprintf(
            out + len, n - len, "%s%s", len ? ", " : "",
            config_setting_name(config_setting_get_elem(hosts, (unsigned)i)));
    }
    config_destroy(&cf);
}

int pl_config_load(pl_config *c, const char *path, int required, pl_error *err)
{
    pl_config_init(c);
    snprintf(c->path, sizeof c->path, "%s", path);
    return pl_config_read(c, path, required, err);
}

int pl_config_load_all(pl_config *c, const char *explicit_path,
                       const char *host, pl_error *err)
{
    pl_config_init(c);
    if (!explicit_path) {
        const char *env = getenv(PL_CONFIG_ENV);
        if (env && *env)
            explicit_path = env;
    }
    const char *files[2] = {NULL, NULL};
    char *user = NULL;
    if (explicit_path) {
        files[0] = explicit_path;
    } else {
        user = pl_config_user_path(PL_USER_CONFIG_NAME);
        files[0] = user;
        files[1] = PL_LEGACY_CONFIG;
    }
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        if (files[i])
            rc = pl_config_read(c, files[i], explicit_path != NULL, err);
    if (rc == 0 && host) {
        int found = 0, any = 0;
        for (int i = 0; i < 2 && rc == 0; i++)
            if (files[i]) {
                rc = pl_config_apply_host(c, files[i], host, &found, err);
                any |= found;
            }
        if (rc == 0 && !any) {
            char known[512] = "";
            for (int i = 0; i < 2; i++)
                if (files[i])
                    list_hosts(files[i], known, sizeof known);
            rc = pl_fail(err, PL_ERR_USAGE,
                         "no host \"%s\" in the hosts group of %s (%s%s); add "
                         "hosts = { %s = { address = \"vsock:CID:PORT\"; }; "
                         "};",
                         host,
                         c->files[0] ? c->files
                         : files[0]  ? files[0]
                                     : PL_LEGACY_CONFIG,
                         known[0] ? "known: " : "none defined", known, host);
        }
    }
    free(user);
    return rc;
}
