/* pipeline run (placeholder until the exec call lands). */
#include "cli.h"

int run_main(cli_global *g, int argc, char **argv)
{
    cli_error("run", "not implemented yet in this build");
    return 1;
}
