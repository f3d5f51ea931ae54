using Agentic.Rl.Modeling;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Modeling;

public class ScalarsTests
{
    [Fact]
    public void The_kept_alive_helpers_compute_what_the_operators_compute()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1.5f, -2f, 3f });
        var b = tensor(new[] { 0.5f, 4f, -1f });
        Assert.Equal((a + b).data<float>().ToArray(), a.Plus(b).data<float>().ToArray());
        Assert.Equal((a - b).data<float>().ToArray(), a.Minus(b).data<float>().ToArray());
        Assert.Equal((a + 0.25).data<float>().ToArray(), a.Plus(0.25).data<float>().ToArray());
        Assert.Equal((a * 3.0).data<float>().ToArray(), a.Times(3.0).data<float>().ToArray());
        Assert.Equal((a / 2.0).data<float>().ToArray(), a.DividedBy(2.0).data<float>().ToArray());
        // The integer alpha is valid for integer tensors (a floating alpha is not).
        var ids = tensor(new long[] { 1, 2, 3 });
        Assert.Equal(new long[] { 0, 1, 2 }, ids.add(Scalars.MinusOne, Scalars.One).data<long>().ToArray());
        Assert.Same(Scalars.Of(0.5), Scalars.Of(0.5));
    }
}
