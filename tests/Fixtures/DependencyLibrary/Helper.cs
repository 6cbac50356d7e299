namespace DependencyLibrary;

public static class Helper
{
    public static double Half => 0.5;
}
