/* The notebooks' table: 8 rows of 3 binary features, 4 sigmoid hidden units,
   a sigmoid output, mean squared error. Goal: accuracy 1.0. */
#include <myelin.h>
#include <stdio.h>

int main(void)
{
    const float x[] = {1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1};
    const float y[] = {1, 0, 1, 0, 0, 0, 1, 1};
    const myelin_dataset data = {.rows = 8, .cols = 3, .x = x, .y = y, .y_cols = 1};

    myelin_net *net;
    if (myelin_net_create_str("3,4:sigmoid,1:sigmoid", MYELIN_LOSS_MSE, 11, &net)) {
        fprintf(stderr, "table3: %s\n", myelin_last_error());
        return 1;
    }
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.5f;
    o.epochs = 5000;
    o.batch = 1;
    o.seed = 2;
    double loss = 0, acc = 0;
    if (myelin_train(net, &data, &o) || myelin_evaluate(net, &data, &loss, &acc)) {
        fprintf(stderr, "table3: %s\n", myelin_last_error());
        myelin_net_free(net);
        return 1;
    }
    float out[8];
    myelin_predict_proba(net, &data, out, 1);
    for (int i = 0; i < 8; i++)
        printf("(%g,%g,%g) -> %g: %.3f\n", x[3 * i], x[3 * i + 1], x[3 * i + 2], y[i], out[i]);
    printf("table3: loss %.5f, accuracy %.3f %s\n", loss, acc, acc == 1.0 ? "(goal met)" : "(goal: 1.0)");
    myelin_net_free(net);
    return acc == 1.0 ? 0 : 1;
}
