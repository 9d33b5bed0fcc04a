/*
 * version.h - the version every program prints for --version.
 */
#ifndef GCU_VERSION_H
#define GCU_VERSION_H

#define GCU_VERSION "0.1.0"

#endif
