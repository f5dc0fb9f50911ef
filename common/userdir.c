/* The per-user directory, apart from config.c so that the client
 * library's users (known_servers messages) need no libconfig. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pl_config_user_dir(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    /* The XDG spec says relative values are to be ignored. */
    if (xdg && xdg[0] == '/') {
        snprintf(out, n, "%s/pipeline", xdg);
        return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !home[0]) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !home[0])
        return -1;
    snprintf(out, n, "%s/.config/pipeline", home);
    return 0;
}

char *pl_config_user_path(const char *name)
{
    char dir[4096];
    if (pl_config_user_dir(dir, sizeof dir))
        return NULL;
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, name);
    return out;
}
