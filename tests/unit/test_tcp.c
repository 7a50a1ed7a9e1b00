#include "bh_test.h"
int main(void){return bh_test_summary();}
