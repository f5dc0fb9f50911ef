/* pipeline send-file / recv-file / send-dir / recv-dir (placeholders). */
#include "cli.h"

static int pending(const char *sub)
{
    cli_error(sub, "not implemented yet in this build");
    return 1;
}

int send_file_main(cli_global *g, int argc, char **argv)
{
    return pending("send-file");
}
int recv_file_main(cli_global *g, int argc, char **argv)
{
    return pending("recv-file");
}
int send_dir_main(cli_global *g, int argc, char **argv)
{
    return pending("send-dir");
}
int recv_dir_main(cli_global *g, int argc, char **argv)
{
    return pending("recv-dir");
}
