/* Pipeline client library: everything in one include. */
#ifndef PIPELINE_PUBLIC_PIPELINE_H
#define PIPELINE_PUBLIC_PIPELINE_H

#include <pipeline/client.h>
#include <pipeline/error.h>
#include <pipeline/keys.h>

#endif
