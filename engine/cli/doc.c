/*
** doc.c -- `leeway doc PLAYBOOK [--format html|md] [--lang L]`: the staff
** handbook (docs/handbook.md), written by the library's lw_handbook to
** stdout.
*/
#include "cli.h"

#include <string.h>

static int doc_usage(void)
{
    fputs("usage: leeway doc PLAYBOOK [--format html|md] [--lang LANGUAGE]\n", stderr);
    return EXIT_USAGE;
}

int cmd_doc(int argc, char **argv)
{
    const char *path = NULL, *format = "html", *lang = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--lang") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "leeway doc: %s needs a value\n", argv[i]);
                return doc_usage();
            }
            *(argv[i][2] == 'f' ? &format : &lang) = argv[i + 1];
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "leeway doc: unknown option '%s'\n", argv[i]);
            return doc_usage();
        } else if (path) {
            fprintf(stderr, "leeway doc: one playbook at a time ('%s' and '%s')\n", path,
                    argv[i]);
            return doc_usage();
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return doc_usage();
    lw_playbook *pb = load_playbook(path);
    if (!pb)
        return EXIT_USAGE;
    lw_engine *e = lw_engine_new(NULL);
    const char *text = NULL;
    size_t len = 0;
    int rc = e ? lw_handbook(e, pb, format, lang, &text, &len) : LW_ERR_NOMEM;
    int status = EXIT_DONE;
    if (rc == LW_OK) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            perror("leeway doc: writing the handbook");
            clearerr(stdout); /* said: main need not say it again */
            status = EXIT_USAGE; /* a file that cannot be written, as elsewhere */
        }
    } else {
        fprintf(stderr, "leeway doc: %s\n", text ? text : "out of memory");
        status = EXIT_USAGE;
    }
    lw_engine_free(e);
    lw_playbook_free(pb);
    return status;
}
