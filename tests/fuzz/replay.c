/*
** replay.c -- main() for a fuzz target built without libFuzzer: runs
** LLVMFuzzerTestOneInput once on each file named on the command line, so the
** inputs fuzzing found stay in the test suite (tests/fuzz/run).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 2;
        }
        size_t cap = 1 << 16, n = 0, k;
        uint8_t *p = malloc(cap);
        while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
            n += k;
            if (n == cap) {
                uint8_t *q = realloc(p, cap *= 2);
                if (!q) {
                    free(p);
                    p = NULL;
                }
                p = q;
            }
        }
        fclose(f);
        if (!p)
            return 2;
        LLVMFuzzerTestOneInput(p, n);
        free(p);
    }
    return 0;
}
