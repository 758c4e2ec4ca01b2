#define CARD_NAME "two"
#include "common.c"
