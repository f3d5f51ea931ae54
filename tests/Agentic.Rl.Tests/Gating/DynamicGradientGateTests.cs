using Agentic.Rl.Gating;

namespace Agentic.Rl.Tests.Gating;

public class DynamicGradientGateTests
{
    private static DynamicGradientGate Gate(int window = 4, double threshold = 0.5) =>
        new(new DynamicGradientGateOptions { WindowSize = window, Threshold = threshold });

    [Fact]
    public void Never_fires_before_the_window_is_full()
    {
        var gate = Gate(window: 4);
        // A huge surge on a reused batch, but only three norms seen so far.
        Assert.False(gate.Decide(1.0, 1).Fired);
        Assert.False(gate.Decide(1.1, 1).Fired);
        var d = gate.Decide(50, 2);
        Assert.False(d.Fired);
        Assert.Null(d.ZScore);
    }

    [Fact]
    public void Never_fires_on_the_first_use_of_a_batch()
    {
        var gate = Gate();
        foreach (var n in new[] { 1.0, 1.1, 0.9, 1.0 }) gate.Decide(n, 1);
        Assert.False(gate.Decide(100, 1).Fired);
    }

    [Fact]
    public void A_surge_on_a_reused_batch_fires_with_its_numbers_and_stays_out_of_the_window()
    {
        var gate = Gate();
        foreach (var n in new[] { 1.0, 1.2, 0.8, 1.0 }) gate.Decide(n, 1);
        var d = gate.Decide(2.0, 2);
        Assert.True(d.Fired);
        Assert.Equal(1.0, d.WindowMean!.Value, 9);
        Assert.Equal(Math.Sqrt(0.02), d.WindowStd!.Value, 9);
        Assert.Equal((2.0 - 1.0) / Math.Sqrt(0.02), d.ZScore!.Value, 6);
        Assert.Equal([1.0, 1.2, 0.8, 1.0], gate.Window);
    }

    [Fact]
    public void A_stable_norm_on_a_reused_batch_passes_and_enters_the_window()
    {
        var gate = Gate();
        foreach (var n in new[] { 1.0, 1.2, 0.8, 1.0 }) gate.Decide(n, 1);
        var d = gate.Decide(1.0, 3);
        Assert.False(d.Fired);
        Assert.Equal(0, d.ZScore!.Value, 9);
        Assert.Equal([1.2, 0.8, 1.0, 1.0], gate.Window);
    }

    [Fact]
    public void Threshold_decides_between_passing_and_firing()
    {
        double[] history = [1.0, 1.2, 0.8, 1.0];
        double norm = 1.0 + 0.3 * Math.Sqrt(0.02);   // z = 0.3
        var strict = Gate(threshold: 0.1);
        var lenient = Gate(threshold: 0.5);
        foreach (var n in history) { strict.Decide(n, 1); lenient.Decide(n, 1); }
        Assert.True(strict.Decide(norm, 2).Fired);
        Assert.False(lenient.Decide(norm, 2).Fired);
    }

    [Fact]
    public void State_round_trips_so_a_resumed_gate_decides_identically()
    {
        var a = Gate();
        var random = new Random(3);
        var norms = Enumerable.Range(0, 40).Select(_ => 1 + random.NextDouble()).ToArray();
        for (int i = 0; i < 20; i++) a.Decide(norms[i], 1 + i % 3);
        var b = Gate();
        b.SetState(a.GetState());
        for (int i = 20; i < 40; i++) Assert.Equal(a.Decide(norms[i], 1 + i % 3), b.Decide(norms[i], 1 + i % 3));
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        var gate = Gate();
        Assert.Throws<ArgumentOutOfRangeException>(() => gate.Decide(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => gate.Decide(double.NaN, 1));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new DynamicGradientGate(new DynamicGradientGateOptions { WindowSize = 1 }));
    }

    [Fact]
    public void The_open_gate_never_fires()
    {
        var gate = new OpenGradientGate();
        for (int i = 1; i < 10; i++) Assert.False(gate.Decide(i * 100, i).Fired);
    }
}
