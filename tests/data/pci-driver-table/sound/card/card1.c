#define CARD_NAME "one"
#include "common.c"
