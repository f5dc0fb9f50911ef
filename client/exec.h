/* The Exec call (declared in include/pipeline/client.h). */
#ifndef PIPELINE_EXEC_H
#define PIPELINE_EXEC_H

#include "client.h"

#endif
