#ifndef CQRENCODE_SHIM_H
#define CQRENCODE_SHIM_H
// libqrencode (apt: libqrencode-dev): QR codes of join links, drawn as SVG by the hub.
#include <qrencode.h>
#endif
