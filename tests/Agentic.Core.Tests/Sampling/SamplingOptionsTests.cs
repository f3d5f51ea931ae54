using Agentic.Core.Sampling;

namespace Agentic.Core.Tests.Sampling;

public class SamplingOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new SamplingOptions();
        options.Validate();
        Assert.Equal(1f, options.Temperature);
        Assert.Equal(1f, options.TopP);
        Assert.Equal(0, options.TopK);
        Assert.Equal(256, options.MaxNewTokens);
        Assert.Empty(options.StopTokenIds);
        Assert.Empty(options.StopSequences);
        Assert.Null(options.Seed);
    }

    public static TheoryData<SamplingOptions, string> InvalidOptions => new()
    {
        { new SamplingOptions { Temperature = -0.1f }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { Temperature = float.NaN }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { Temperature = float.PositiveInfinity }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { TopP = 0f }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopP = 1.01f }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopP = float.NaN }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopK = -1 }, nameof(SamplingOptions.TopK) },
        { new SamplingOptions { MaxNewTokens = 0 }, nameof(SamplingOptions.MaxNewTokens) },
        { new SamplingOptions { StopTokenIds = [-1] }, nameof(SamplingOptions.StopTokenIds) },
        { new SamplingOptions { StopSequences = [[]] }, nameof(SamplingOptions.StopSequences) },
        { new SamplingOptions { StopSequences = [[1, -2]] }, nameof(SamplingOptions.StopSequences) },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionsThrowArgumentOutOfRange(SamplingOptions options, string property)
    {
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(property, ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(options));
    }
}
