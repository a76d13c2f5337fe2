/* XOR with a 2-3-1 network as in the notebooks: sigmoid hidden layer, linear
   output, mean squared error, SGD with learning rate 0.1.
   Goal: every output within 0.05 of its target. */
#include <math.h>
#include <myelin.h>
#include <stdio.h>

int main(void)
{
    const float x[] = {0, 0, 0, 1, 1, 0, 1, 1};
    const float y[] = {0, 1, 1, 0};
    const myelin_dataset data = {.rows = 4, .cols = 2, .x = x, .y = y, .y_cols = 1};

    myelin_layer_spec layers[2] = {myelin_layer_default(3, MYELIN_ACT_SIGMOID),
                                   myelin_layer_default(1, MYELIN_ACT_LINEAR)};
    const myelin_net_spec spec = {2, 2, layers, MYELIN_LOSS_MSE};
    myelin_net *net;
    if (myelin_net_create(&spec, 3, &net)) {
        fprintf(stderr, "xor_sigmoid_mse: %s\n", myelin_last_error());
        return 1;
    }
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.lr = 0.1f;
    o.epochs = 20000;
    o.batch = 1;
    o.seed = 1;
    if (myelin_train(net, &data, &o)) {
        fprintf(stderr, "xor_sigmoid_mse: %s\n", myelin_last_error());
        myelin_net_free(net);
        return 1;
    }
    float out[4];
    myelin_predict_proba(net, &data, out, 1);
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        printf("%g xor %g = %g: output %.4f\n", x[2 * i], x[2 * i + 1], y[i], out[i]);
        if (fabs(out[i] - y[i]) > worst)
            worst = fabs(out[i] - y[i]);
    }
    printf("xor_sigmoid_mse: largest error %.4f %s\n", worst, worst <= 0.05 ? "(goal met)" : "(goal: <= 0.05)");
    myelin_net_free(net);
    return worst <= 0.05 ? 0 : 1;
}
