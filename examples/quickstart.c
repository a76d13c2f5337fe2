/* quickstart.c - the smallest complete Myelin program: learn XOR with a
   2-8-1 network, then print its predictions. Build: cc quickstart.c -lmyelin */
#include <myelin.h>
#include <stdio.h>

int main(void)
{
    const float x[] = {0, 0, 0, 1, 1, 0, 1, 1};
    const int32_t labels[] = {0, 1, 1, 0};
    myelin_dataset data = {.rows = 4, .cols = 2, .x = x, .labels = labels};

    myelin_net *net;
    int st = myelin_net_create_str("2,8:tanh,1:sigmoid", MYELIN_LOSS_BCE, 42, &net);
    if (st) {
        fprintf(stderr, "create: %s\n", myelin_last_error());
        return 1;
    }
    myelin_train_opts opts;
    myelin_train_opts_default(&opts);
    opts.opt = MYELIN_OPT_ADAM;
    opts.lr = 0.05f;
    opts.epochs = 300;
    opts.batch = 4;
    if ((st = myelin_train(net, &data, &opts))) {
        fprintf(stderr, "train: %s\n", myelin_last_error());
        myelin_net_free(net);
        return 1;
    }
    float p[4];
    double loss, acc;
    myelin_predict_proba(net, &data, p, 1);
    myelin_evaluate(net, &data, &loss, &acc);
    for (int i = 0; i < 4; i++)
        printf("%g xor %g -> %.3f\n", x[2 * i], x[2 * i + 1], p[i]);
    printf("loss %.4f, accuracy %.2f\n", loss, acc);
    myelin_net_free(net);
    return acc == 1.0 ? 0 : 1;
}
