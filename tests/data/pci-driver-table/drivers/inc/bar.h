#ifndef BAR_H
#define BAR_H
#define DRV_NAME "bar"
#endif
