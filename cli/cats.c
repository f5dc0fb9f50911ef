/* The original's easter eggs: George and Pascal, two British Shorthairs. */
#include "cli.h"

#include <stdio.h>

void cats_george(void)
{
    fputs("      /\\_____/\\\n"
          "     /  o   o  \\      George\n"
          "    ( ==  ^  == )     British Shorthair, blue,\n"
          "     )         (      chief of enclave security\n"
          "    (           )\n"
          "   ( (  )   (  ) )\n"
          "  (__(__)___(__)__)\n",
          stdout);
}

void cats_pascal(void)
{
    fputs("       /\\_/\\\n"
          "      ( -.- )   Pascal\n"
          "       > ^ <    British Shorthair, asleep on the\n"
          "      /     \\   warm side of the host\n"
          "     (  | |  )\n"
          "      \\_|_|_/~~\n",
          stdout);
}
