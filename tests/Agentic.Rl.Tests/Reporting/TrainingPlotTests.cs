using Agentic.Rl.Reporting;

namespace Agentic.Rl.Tests.Reporting;

public class TrainingPlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static void AssertPng(string path, int minBytes)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, bytes.Take(8));
        Assert.True(bytes.Length > minBytes, $"PNG is {bytes.Length} bytes");
        // IHDR width and height (big-endian) follow the signature and chunk header.
        Assert.Equal(1200, (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]);
        Assert.Equal(900, (bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23]);
    }

    [Fact]
    public void Writes_a_png_of_a_run()
    {
        using var dir = new TempDirectory();
        var steps = Enumerable.Range(0, 60).Select(i => TrainingRunLogTests.Step(i)).ToList();
        var path = Path.Combine(dir.Path, "plots", "training.png");
        TrainingPlot.Save(path, steps);
        AssertPng(path, 20_000);
        var keep = Environment.GetEnvironmentVariable("AGENTIC_KEEP_PLOT");
        if (!string.IsNullOrEmpty(keep))
        {
            File.Copy(path, keep, overwrite: true);
        }
    }

    [Fact]
    public void Empty_input_still_writes_a_png()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "empty.png");
        TrainingPlot.Save(path, []);
        AssertPng(path, 5_000);
    }

    [Fact]
    public void All_null_success_values_do_not_crash()
    {
        using var dir = new TempDirectory();
        var steps = Enumerable.Range(0, 10)
            .Select(i => TrainingRunLogTests.Step(i) with { SuccessClean = null, SuccessNoisy = null, GateFired = false })
            .ToList();
        var path = Path.Combine(dir.Path, "nulls.png");
        TrainingPlot.Save(path, steps);
        AssertPng(path, 5_000);
    }
}
